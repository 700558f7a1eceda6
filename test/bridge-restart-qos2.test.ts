/**
 * No loss, none twice, with --qos 2: the same 10,000 messages and four broker restarts (SIGTERM: mosquitto
 * keeps its sessions in its persistence file), QoS 2 from the bridge (persistent session) and to the
 * subscriber. Every message arrives, and the bridge's publications reach the broker exactly once although its
 * client retransmits after each reconnect (the broker recognises the packet ids it already has). What the
 * broker itself redelivers to the subscriber after a restart carries the DUP flag and is counted apart.
 */
import { describe, expect, it } from 'vitest';
import { restartScenario } from './bridge-support.ts';

const N = 10_000;

describe('bridge: broker restarted during 10,000 uplink messages (QoS 2)', () => {
  it('delivers every message; the bridge publishes each exactly once', async () => {
    const r = await restartScenario({ n: N, qos: 2, subQos: 2, signals: ['SIGTERM', 'SIGTERM', 'SIGTERM', 'SIGTERM'] });
    const st = r.status as any;
    console.log(`restart QoS 2: ${r.ms} ms; outages at ${r.outages.join(', ')} with ${r.queuedWhileDown.join(', ')} queued; received ${r.received}, ` +
      `distinct ${r.distinct}, DUP ${r.brokerRedeliveries}, other copies ${r.repeats.length}, retransmitted ${r.retransmitted.size}; queue ${JSON.stringify(st.queue)}`);
    expect(st.counters.mqttConnects).toBe(5);
    expect(r.distinct).toBe(N);
    // the bridge's copies: none, retransmissions included (the broker recognised them); the broker's own
    // redeliveries to the subscriber after its restart come flagged DUP and are not the bridge's
    expect(r.repeats).toEqual([]);
    expect(r.received - r.brokerRedeliveries).toBe(N);
    expect(st.queue).toMatchObject({ pushed: N, acked: N, dropped: 0 });
  }, 60_000);
});
