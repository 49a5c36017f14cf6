import { describe, expect, it } from 'vitest';
import { macProblem, normalizeMac, usableMac } from './mac.ts';

describe('only globally unique, physical MACs may identify a machine', () => {
  it.each([
    ['3C:22:FB:12:34:56', '3c:22:fb:12:34:56', null],
    ['3c-22-fb-12-34-56', '3c:22:fb:12:34:56', null],
    ['3c22.fb12.3456', '3c:22:fb:12:34:56', null],
    ['3c22fb123456', '3c:22:fb:12:34:56', null],
    ['da:a1:19:00:00:01', 'da:a1:19:00:00:01', 'LOCALLY_ADMINISTERED'], // randomised Wi-Fi MAC
    ['02:42:ac:11:00:02', '02:42:ac:11:00:02', 'LOCALLY_ADMINISTERED'], // Docker
    ['52:54:00:12:34:56', '52:54:00:12:34:56', 'LOCALLY_ADMINISTERED'], // QEMU/KVM
    ['00:50:56:aa:bb:cc', '00:50:56:aa:bb:cc', 'VIRTUAL'], // VMware
    ['08:00:27:aa:bb:cc', '08:00:27:aa:bb:cc', 'VIRTUAL'], // VirtualBox
    ['00:15:5d:aa:bb:cc', '00:15:5d:aa:bb:cc', 'VIRTUAL'], // Hyper-V
    ['01:00:5e:00:00:01', '01:00:5e:00:00:01', 'MULTICAST'],
    ['ff:ff:ff:ff:ff:ff', 'ff:ff:ff:ff:ff:ff', 'MULTICAST'],
    ['00:00:00:00:00:00', '00:00:00:00:00:00', 'EMPTY'],
    ['not-a-mac', null, 'NOT_A_MAC'],
    ['3c:22:fb:12:34', null, 'NOT_A_MAC'],
  ])('%s', (input, normal, problem) => {
    expect(normalizeMac(input)).toBe(normal);
    expect(macProblem(input)).toBe(problem);
    expect(usableMac(input)).toBe(problem === null ? normal : null);
  });
});
