import { describe, expect, it } from 'vitest';
import { addressAllowed, urlProblem } from './webhook-url.ts';

const strict = { allowHttp: false, allowPrivate: false };
const local = { allowHttp: true, allowPrivate: false };
const open = { allowHttp: false, allowPrivate: true };

describe('webhook URLs', () => {
  it.each([
    ['https://hooks.example.com/rebill', strict, null],
    ['https://93.184.216.34/in', strict, null],
    ['http://hooks.example.com/rebill', strict, 'scheme'],
    ['http://127.0.0.1:8080/hook', strict, 'scheme'],
    ['http://127.0.0.1:8080/hook', local, null],
    ['http://localhost:8080/hook', local, null],
    ['http://[::1]:8080/hook', local, null],
    ['http://hooks.example.com/rebill', local, 'scheme'],
    ['https://127.0.0.1/hook', strict, 'address'],
    ['https://localhost/hook', strict, 'address'],
    ['https://10.1.2.3/hook', strict, 'address'],
    ['https://10.1.2.3/hook', local, 'address'],
    ['https://10.1.2.3/hook', open, null],
    ['https://172.16.0.9/hook', strict, 'address'],
    ['https://192.168.1.1/hook', strict, 'address'],
    ['https://169.254.169.254/latest/meta-data', strict, 'address'],
    ['https://100.64.0.1/hook', strict, 'address'],
    ['https://0.0.0.0/hook', strict, 'address'],
    ['https://[fd00::1]/hook', strict, 'address'],
    ['https://[fe80::1]/hook', strict, 'address'],
    ['https://[::ffff:10.0.0.1]/hook', strict, 'address'],
    ['https://0x7f.1/hook', strict, 'address'],
    ['https://2130706433/hook', strict, 'address'],
    ['https://user:pass@hooks.example.com/', strict, 'credentials'],
    ['ftp://hooks.example.com/', strict, 'scheme'],
    ['not a url', strict, 'invalid'],
  ] as const)('%s → %s', (raw, policy, problem) => {
    expect(urlProblem(raw, policy).problem).toBe(problem);
  });

  it('judge resolved addresses at delivery time: public unicast only, unless allowed', () => {
    expect(addressAllowed('93.184.216.34', strict)).toBe(true);
    expect(addressAllowed('2606:2800:220:1:248:1893:25c8:1946', strict)).toBe(true);
    for (const a of ['10.0.0.5', '127.0.0.1', '169.254.169.254', '::1', 'fc00::5', '::ffff:192.168.0.1', 'nonsense']) {
      expect(addressAllowed(a, strict), a).toBe(false);
    }
    expect(addressAllowed('127.0.0.1', local)).toBe(true);
    expect(addressAllowed('10.0.0.5', local)).toBe(false);
    expect(addressAllowed('10.0.0.5', open)).toBe(true);
  });
});
