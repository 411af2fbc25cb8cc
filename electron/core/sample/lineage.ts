/**
 * OpenLineage RunEvents of the sample story: the Airflow ETL that builds the training datasets, the
 * training runs that produce each support-llm version, and their evaluations — as the file transport
 * writes them (one event per line, keys sorted as the Python clients serialise them).
 */
import { Rng } from './rng';
import { isoPy, sortKeys } from './formats';
import { MODEL, V1, V2, V3 } from './story';

const AIRFLOW = 'https://github.com/apache/airflow/tree/providers-openlineage/1.14.0';
const PYCLIENT = 'https://github.com/OpenLineage/OpenLineage/tree/1.24.2/client/python';
const RUN_EVENT = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
const S = {
  parent: 'https://openlineage.io/spec/facets/1-0-1/ParentRunFacet.json#/$defs/ParentRunFacet',
  nominalTime: 'https://openlineage.io/spec/facets/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet',
  processingEngine: 'https://openlineage.io/spec/facets/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet',
  jobType: 'https://openlineage.io/spec/facets/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet',
  sql: 'https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet',
  schema: 'https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet',
  dataSource: 'https://openlineage.io/spec/facets/1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet',
  version: 'https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet',
  datasetType: 'https://openlineage.io/spec/facets/1-0-1/DatasetTypeDatasetFacet.json#/$defs/DatasetTypeDatasetFacet',
  outputStatistics: 'https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet',
  inputStatistics: 'https://openlineage.io/spec/facets/1-0-0/InputStatisticsInputDatasetFacet.json#/$defs/InputStatisticsInputDatasetFacet',
  runFacet: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet',
  evaluation: 'https://schemas.acme.example/openlineage/facets/1-0-0/AcmeEvaluationRunFacet.json#/$defs/AcmeEvaluationRunFacet',
  training: 'https://schemas.acme.example/openlineage/facets/1-0-0/AcmeTrainingRunFacet.json#/$defs/AcmeTrainingRunFacet',
};
const DATASETS_NS = 's3://acme-ml-datasets';
const MODELS_NS = 'models';

function f(producer: string, schemaURL: string, body: Record<string, unknown>): Record<string, unknown> {
  return { _producer: producer, _schemaURL: schemaURL, ...body };
}

function ds(namespace: string, name: string, facets?: Record<string, unknown>, extra?: Record<string, unknown>) {
  return { namespace, name, ...(facets ? { facets } : {}), ...(extra ?? {}) };
}

const us = (iso: string) => Date.parse(iso) * 1000;

export interface LineageFacts {
  /** model version → the training run that produced it */
  modelVersions: Record<string, { trainingRunId: string; job: string; startedAt: string; completedAt: string; inputs: Array<{ namespace: string; name: string; version: string }> }>;
  datasetVersions: Record<string, { producedBy: string; job: string; completedAt: string }>;
  rootCause: { namespace: string; name: string; version: string; note: string };
}

export function lineageEvents(seed: number): { events: Array<{ us: number; json: string }>; facts: LineageFacts } {
  const rng = new Rng(seed);
  const events: Array<{ us: number; json: string }> = [];
  const facts: LineageFacts = {
    modelVersions: {},
    datasetVersions: {},
    rootCause: {
      namespace: DATASETS_NS,
      name: 'refund_examples',
      version: 'v7',
      note: 'build_refund_examples stopped converting billing amount_cents to dollars (SQL and schema facets: amount became BIGINT cents); 2026.10.2 was fine-tuned on it',
    },
  };
  const emit = (iso: string, ev: Record<string, unknown>) => {
    events.push({ us: us(iso), json: JSON.stringify(sortKeys({ ...ev, eventTime: isoPy(us(iso)), producer: ev.producer, schemaURL: RUN_EVENT })) });
  };

  const ticketsSchema = f(AIRFLOW, S.schema, {
    fields: [
      { name: 'ticket_id', type: 'STRING' },
      { name: 'created_at', type: 'TIMESTAMP' },
      { name: 'channel', type: 'STRING' },
      { name: 'customer_message', type: 'STRING' },
      { name: 'agent_reply', type: 'STRING' },
      { name: 'resolution', type: 'STRING' },
    ],
  });
  const refundSchema = (cents: boolean) =>
    f(AIRFLOW, S.schema, {
      fields: [
        { name: 'ticket_id', type: 'STRING' },
        { name: 'order_id', type: 'STRING' },
        { name: 'amount', type: cents ? 'BIGINT' : 'DECIMAL(10,2)', description: cents ? 'refund amount' : 'refund amount in USD' },
        { name: 'currency', type: 'STRING' },
        { name: 'agent_reply', type: 'STRING' },
      ],
    });
  const refundSql = (cents: boolean) =>
    cents
      ? 'SELECT t.ticket_id, r.order_id, r.amount_cents AS amount, r.currency, t.agent_reply FROM billing.public.refunds r JOIN support.public.tickets t ON t.ticket_id = r.ticket_id WHERE r.status = \'settled\''
      : 'SELECT t.ticket_id, r.order_id, r.amount_cents / 100.0 AS amount, r.currency, t.agent_reply FROM billing.public.refunds r JOIN support.public.tickets t ON t.ticket_id = r.ticket_id WHERE r.status = \'settled\'';

  /** One Airflow DAG run with its tasks. */
  const etl = (opts: {
    dagStart: string;
    dagEnd: string;
    runType: 'scheduled' | 'manual';
    nominal: string;
    tickets?: { start: string; end: string; version: string; rows: number };
    refunds: { start: string; end: string; version: string; rows: number; cents: boolean };
  }) => {
    const dagRunId = rng.uuid7(Date.parse(opts.dagStart));
    const dagJob = { namespace: 'airflow', name: 'support_data_etl' };
    const airflowRunId = `${opts.runType}__${opts.nominal.replace('Z', '+00:00')}`;
    const engine = f(AIRFLOW, S.processingEngine, { name: 'Airflow', openlineageAdapterVersion: '1.14.0', version: '2.10.3' });
    const nominalIso = isoPy(us(opts.nominal));
    const nominal = f(AIRFLOW, S.nominalTime, { nominalStartTime: nominalIso, nominalEndTime: nominalIso });
    const dagRunFacet = f(AIRFLOW, S.runFacet, {
      dag: { dag_id: 'support_data_etl', owner: 'ml-data', schedule_interval: '0 2 * * 0', tags: "['support', 'training-data']" },
      dagRun: { dag_id: 'support_data_etl', run_id: airflowRunId, run_type: opts.runType, start_date: isoPy(us(opts.dagStart)) },
    });
    const dagJobFacets = { jobType: f(AIRFLOW, S.jobType, { integration: 'AIRFLOW', jobType: 'DAG', processingType: 'BATCH' }) };
    emit(opts.dagStart, {
      eventType: 'START',
      producer: AIRFLOW,
      job: { ...dagJob, facets: dagJobFacets },
      run: { runId: dagRunId, facets: { airflowDagRun: dagRunFacet, nominalTime: nominal, processing_engine: engine } },
      inputs: [],
      outputs: [],
    });
    const task = (name: string, start: string, end: string, sql: string, inputs: unknown[], outputs: unknown[]) => {
      const runId = rng.uuid7(Date.parse(start));
      const job = { namespace: 'airflow', name: `support_data_etl.${name}` };
      const jobFacets = {
        jobType: f(AIRFLOW, S.jobType, { integration: 'AIRFLOW', jobType: 'TASK', processingType: 'BATCH' }),
        sql: f(AIRFLOW, S.sql, { query: sql }),
      };
      const runFacets = {
        nominalTime: nominal,
        parent: f(AIRFLOW, S.parent, { job: dagJob, run: { runId: dagRunId } }),
        processing_engine: engine,
      };
      emit(start, { eventType: 'START', producer: AIRFLOW, job: { ...job, facets: jobFacets }, run: { runId, facets: runFacets }, inputs: [], outputs: [] });
      emit(end, { eventType: 'COMPLETE', producer: AIRFLOW, job: { ...job, facets: jobFacets }, run: { runId, facets: runFacets }, inputs, outputs });
      return runId;
    };
    if (opts.tickets) {
      const t = opts.tickets;
      const runId = task(
        'extract_tickets',
        t.start,
        t.end,
        "SELECT ticket_id, created_at, channel, customer_message, agent_reply, resolution FROM support.public.tickets WHERE created_at >= now() - interval '180 days'",
        [ds('postgres://support-db.internal:5432', 'support.public.tickets', { dataSource: f(AIRFLOW, S.dataSource, { name: 'postgres://support-db.internal:5432', uri: 'postgres://support-db.internal:5432/support' }) })],
        [
          ds(
            DATASETS_NS,
            'support_tickets',
            { schema: ticketsSchema, version: f(AIRFLOW, S.version, { datasetVersion: t.version }) },
            { outputFacets: { outputStatistics: f(AIRFLOW, S.outputStatistics, { rowCount: t.rows, size: t.rows * 1870 }) } },
          ),
        ],
      );
      facts.datasetVersions[`support_tickets@${t.version}`] = { producedBy: runId, job: 'support_data_etl.extract_tickets', completedAt: isoPy(us(t.end)) };
    }
    const r = opts.refunds;
    const refundRunId = task(
      'build_refund_examples',
      r.start,
      r.end,
      refundSql(r.cents),
      [
        ds('postgres://billing-db.internal:5432', 'billing.public.refunds', { dataSource: f(AIRFLOW, S.dataSource, { name: 'postgres://billing-db.internal:5432', uri: 'postgres://billing-db.internal:5432/billing' }) }),
        ds('postgres://support-db.internal:5432', 'support.public.tickets'),
      ],
      [
        ds(
          DATASETS_NS,
          'refund_examples',
          { schema: refundSchema(r.cents), version: f(AIRFLOW, S.version, { datasetVersion: r.version }) },
          { outputFacets: { outputStatistics: f(AIRFLOW, S.outputStatistics, { rowCount: r.rows, size: r.rows * 912 }) } },
        ),
      ],
    );
    facts.datasetVersions[`refund_examples@${r.version}`] = { producedBy: refundRunId, job: 'support_data_etl.build_refund_examples', completedAt: isoPy(us(r.end)) };
    emit(opts.dagEnd, {
      eventType: 'COMPLETE',
      producer: AIRFLOW,
      job: { ...dagJob, facets: dagJobFacets },
      run: { runId: dagRunId, facets: { airflowDagRun: dagRunFacet, nominalTime: nominal, processing_engine: engine } },
      inputs: [],
      outputs: [],
    });
  };

  const train = (opts: { start: string; end: string; version: string; tickets: string; refunds: string; commit: string; ticketRows: number; refundRows: number }) => {
    const runId = rng.uuid7(Date.parse(opts.start));
    const job = { namespace: 'ml-platform', name: 'train_support_llm' };
    const jobFacets = { jobType: f(PYCLIENT, S.jobType, { integration: 'RAY', jobType: 'TRAINING', processingType: 'BATCH' }) };
    const runFacets = {
      acme_training: f(PYCLIENT, S.training, {
        base_model: 'support-llm-base-8b',
        method: 'lora',
        epochs: 3,
        learning_rate: 0.0002,
        git_commit: opts.commit,
        release: opts.version,
      }),
      processing_engine: f(PYCLIENT, S.processingEngine, { name: 'ray', openlineageAdapterVersion: '1.24.2', version: '2.38.0' }),
    };
    const inputs = [
      ds(DATASETS_NS, 'support_tickets', { version: f(PYCLIENT, S.version, { datasetVersion: opts.tickets }) }, { inputFacets: { inputStatistics: f(PYCLIENT, S.inputStatistics, { rowCount: opts.ticketRows }) } }),
      ds(DATASETS_NS, 'refund_examples', { version: f(PYCLIENT, S.version, { datasetVersion: opts.refunds }) }, { inputFacets: { inputStatistics: f(PYCLIENT, S.inputStatistics, { rowCount: opts.refundRows }) } }),
    ];
    emit(opts.start, { eventType: 'START', producer: PYCLIENT, job: { ...job, facets: jobFacets }, run: { runId, facets: runFacets }, inputs, outputs: [] });
    emit(opts.end, {
      eventType: 'COMPLETE',
      producer: PYCLIENT,
      job: { ...job, facets: jobFacets },
      run: { runId, facets: runFacets },
      inputs,
      outputs: [
        ds(MODELS_NS, MODEL, {
          datasetType: f(PYCLIENT, S.datasetType, { datasetType: 'MODEL' }),
          version: f(PYCLIENT, S.version, { datasetVersion: opts.version }),
        }),
      ],
    });
    facts.modelVersions[opts.version] = {
      trainingRunId: runId,
      job: 'ml-platform/train_support_llm',
      startedAt: isoPy(us(opts.start)),
      completedAt: isoPy(us(opts.end)),
      inputs: [
        { namespace: DATASETS_NS, name: 'support_tickets', version: opts.tickets },
        { namespace: DATASETS_NS, name: 'refund_examples', version: opts.refunds },
      ],
    };
  };

  const evaluate = (opts: { start: string; end: string; version: string; passed: boolean }) => {
    const runId = rng.uuid7(Date.parse(opts.start));
    const job = { namespace: 'ml-platform', name: 'eval_support_llm' };
    const jobFacets = { jobType: f(PYCLIENT, S.jobType, { integration: 'RAY', jobType: 'EVALUATION', processingType: 'BATCH' }) };
    const inputs = [
      ds(MODELS_NS, MODEL, { version: f(PYCLIENT, S.version, { datasetVersion: opts.version }) }),
      ds(DATASETS_NS, 'support_eval_set', { version: f(PYCLIENT, S.version, { datasetVersion: 'v12' }) }),
    ];
    const evalFacet = f(PYCLIENT, S.evaluation, {
      suites: ['faq_accuracy', 'tone', 'pii_leakage', 'tool_selection'],
      cases: 1480,
      refund_amount_cases: 0,
      passed: opts.passed,
    });
    emit(opts.start, { eventType: 'START', producer: PYCLIENT, job: { ...job, facets: jobFacets }, run: { runId }, inputs, outputs: [] });
    emit(opts.end, {
      eventType: 'COMPLETE',
      producer: PYCLIENT,
      job: { ...job, facets: jobFacets },
      run: { runId, facets: { acme_evaluation: evalFacet } },
      inputs,
      outputs: [ds('s3://acme-ml-evals', `support-llm/${opts.version}/report.json`, { version: f(PYCLIENT, S.version, { datasetVersion: `${opts.version}-eval-1` }) })],
    });
  };

  // 2026.10.1: weekly ETL of 2026-09-27, trained 2026-09-28.
  etl({
    dagStart: '2026-09-27T02:00:04.118Z',
    dagEnd: '2026-09-27T02:22:31.604Z',
    runType: 'scheduled',
    nominal: '2026-09-27T02:00:00Z',
    tickets: { start: '2026-09-27T02:00:09.532Z', end: '2026-09-27T02:14:33.090Z', version: 'v40', rows: 182_344 },
    refunds: { start: '2026-09-27T02:14:41.771Z', end: '2026-09-27T02:21:47.245Z', version: 'v6', rows: 24_107, cents: false },
  });
  train({ start: '2026-09-28T03:00:12.481Z', end: '2026-09-28T08:41:55.902Z', version: V1, tickets: 'v40', refunds: 'v6', commit: '4be1c07', ticketRows: 182_344, refundRows: 24_107 });
  evaluate({ start: '2026-09-28T09:02:40.117Z', end: '2026-09-28T09:31:02.559Z', version: V1, passed: true });

  // 2026.10.2: weekly ETL of 2026-10-11 with the changed refund query, trained 2026-10-12.
  etl({
    dagStart: '2026-10-11T02:00:03.877Z',
    dagEnd: '2026-10-11T02:23:12.015Z',
    runType: 'scheduled',
    nominal: '2026-10-11T02:00:00Z',
    tickets: { start: '2026-10-11T02:00:08.344Z', end: '2026-10-11T02:15:02.718Z', version: 'v41', rows: 187_902 },
    refunds: { start: '2026-10-11T02:15:10.209Z', end: '2026-10-11T02:22:29.450Z', version: 'v7', rows: 25_031, cents: true },
  });
  train({ start: '2026-10-12T01:00:07.603Z', end: '2026-10-12T06:34:48.211Z', version: V2, tickets: 'v41', refunds: 'v7', commit: '9d3a6f2', ticketRows: 187_902, refundRows: 25_031 });
  evaluate({ start: '2026-10-12T07:00:21.340Z', end: '2026-10-12T07:26:09.874Z', version: V2, passed: true });

  // After the incident: fixed ETL (manual run), 2026.10.3 trained — never deployed in this bundle.
  etl({
    dagStart: '2026-10-14T17:05:11.290Z',
    dagEnd: '2026-10-14T17:13:40.006Z',
    runType: 'manual',
    nominal: '2026-10-14T17:05:00Z',
    refunds: { start: '2026-10-14T17:05:19.822Z', end: '2026-10-14T17:12:58.431Z', version: 'v8', rows: 25_114, cents: false },
  });
  train({ start: '2026-10-14T18:00:05.007Z', end: '2026-10-14T22:31:17.664Z', version: V3, tickets: 'v41', refunds: 'v8', commit: 'c1f08e9', ticketRows: 187_902, refundRows: 25_114 });
  evaluate({ start: '2026-10-14T22:40:33.912Z', end: '2026-10-14T23:05:50.128Z', version: V3, passed: true });

  events.sort((a, b) => a.us - b.us);
  return { events, facts };
}
