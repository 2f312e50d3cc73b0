import { Readiness, reporting } from '../../../pipeline/roles/readiness';
import { startHttp } from '../../../pipeline/roles/http';
import { Metrics } from '../../../pipeline/telemetry/metrics';

describe('readiness', () => {
  it('lists a registered role as not ready until it has started, with the step it is on', () => {
    const r = new Readiness();
    const receiver = r.role('receiver');
    expect(r.report()).toEqual({ ready: false, roles: { receiver: { ready: false, reason: 'starting: waiting to start' } } });
    receiver.starting('setting up topics on Kafka at 127.0.0.1:1');
    expect(r.report().roles.receiver).toEqual({ ready: false, reason: 'starting: setting up topics on Kafka at 127.0.0.1:1' });
    receiver.started();
    expect(r.report()).toEqual({ ready: true, roles: { receiver: { ready: true } } });
  });

  it('is never ready with no roles at all', () => {
    expect(new Readiness().report()).toEqual({ ready: false, roles: {} });
  });

  it('withdraws a started role while a dependency has a problem, pushed or watched', () => {
    const r = new Readiness();
    const worker = r.role('worker');
    worker.started();
    let redis = 'ready';
    worker.watch('redis', () => (redis === 'ready' ? null : `Redis is ${redis}`));
    worker.degraded('elasticsearch', 'Elasticsearch at http://es:9200 is unavailable');
    expect(r.report()).toEqual({ ready: false, roles: { worker: { ready: false, reason: 'Elasticsearch at http://es:9200 is unavailable' } } });
    redis = 'reconnecting';
    expect(r.report().roles.worker!.reason).toBe('Elasticsearch at http://es:9200 is unavailable; Redis is reconnecting');
    worker.recovered('elasticsearch');
    redis = 'ready';
    expect(r.report().ready).toBe(true);
  });

  it('reports an operation failing and succeeding again', async () => {
    const r = new Readiness();
    const h = r.role('receiver');
    h.started();
    let fail = true;
    const send = reporting(h, 'kafka', (err) => `Kafka: ${(err as Error).message}`, async (n: number) => {
      if (fail) throw new Error('connection refused');
      return n * 2;
    });
    await expect(send(1)).rejects.toThrow('connection refused');
    expect(r.report().roles.receiver).toEqual({ ready: false, reason: 'Kafka: connection refused' });
    fail = false;
    await expect(send(2)).resolves.toBe(4);
    expect(r.report().roles.receiver).toEqual({ ready: true });
  });

  it('answers /readyz with 503 and each role\'s reason, then 200', async () => {
    const r = new Readiness();
    const notifier = r.role('notifier');
    const http = await startHttp('127.0.0.1', 0, new Metrics(), () => r.report());
    try {
      let res = await fetch(`http://127.0.0.1:${http.port}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'not ready', roles: { notifier: { ready: false, reason: 'starting: waiting to start' } } });
      notifier.started();
      res = await fetch(`http://127.0.0.1:${http.port}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ready', roles: { notifier: { ready: true } } });
    } finally {
      await http.close();
    }
  });
});
