import { describe, expect, it } from 'vitest';
import { HEALTH_RULE, healthReport, routingVerdict, type GatewayCall, type GatewayResult } from './gateway-health.ts';

const T0 = Date.parse('2027-01-01T00:00:00Z');
const call = (sec: number, result: GatewayResult, ms = 10): GatewayCall => ({ at: new Date(T0 + sec * 1000), ms, result });
const at = (sec: number) => new Date(T0 + sec * 1000);

describe('gateway health rule', () => {
  it('trips at the fifth call of a 5-minute window when half or more, and the latest, failed on the gateway side', () => {
    const w = (calls: number, errors: number, lastResult: GatewayResult) => ({ calls, errors, lastAt: at(0), lastResult });
    expect(routingVerdict(w(4, 4, 'gateway_error'), at(1))).toBe('use');
    expect(routingVerdict(w(5, 2, 'gateway_error'), at(1))).toBe('use');
    expect(routingVerdict(w(6, 3, 'gateway_error'), at(1))).toBe('skip');
    expect(routingVerdict(w(6, 5, 'succeeded'), at(1))).toBe('use');
    // Half-open: after the cool-down since the last call, one probe may go.
    expect(routingVerdict(w(6, 3, 'gateway_error'), new Date(T0 + HEALTH_RULE.coolDownMs))).toBe('probe');
  });

  it('declines are the card, not the gateway: a run of declines stays healthy', () => {
    const calls = [0, 1, 2, 3, 4, 5].map((s) => call(s, 'declined'));
    expect(healthReport(calls, at(10))).toMatchObject({ attempts: 6, declined: 6, gateway_errors: 0, success_rate: 0, status: 'healthy', since: null });
  });

  it('says since when: tripped at the fifth error, healthy again when the first error leaves the window', () => {
    const calls = [0, 10, 20, 30, 40].map((s) => call(s, 'gateway_error'));
    expect(healthReport(calls, at(60))).toMatchObject({ status: 'unhealthy', since: at(40) });
    // At 300 s the call made at 0 s is out of (now - 5 min, now]: four calls are too few to judge.
    expect(healthReport(calls, at(299))).toMatchObject({ status: 'unhealthy', since: at(40) });
    expect(healthReport(calls, at(400))).toMatchObject({ status: 'healthy', since: at(300), attempts: 5 });
  });
});
