/**
 * MAC addresses as matching keys (pure). A MAC is normalised to `aa:bb:cc:dd:ee:ff`. Only globally unique,
 * physical-looking addresses can identify a machine: locally administered ones (randomised Wi-Fi MACs, Docker,
 * QEMU), multicast and broadcast, all-zero, and the well-known virtual-machine ranges never match.
 */

/** Vendor prefixes of virtual NICs: VMware, VirtualBox, Hyper-V, Xen, Parallels, Virtual PC. */
const VIRTUAL_OUIS = new Set(['00:05:69', '00:0c:29', '00:1c:14', '00:50:56', '08:00:27', '00:15:5d', '00:16:3e', '00:1c:42', '00:03:ff']);

/** `AA-BB-CC-DD-EE-FF`, `aabb.ccdd.eeff`, `aabbccddeeff` → `aa:bb:cc:dd:ee:ff`; null when it is not a MAC. */
export function normalizeMac(value: string): string | null {
  const hex = value.trim().toLowerCase().replace(/[:\-.]/g, '');
  if (!/^[0-9a-f]{12}$/.test(hex)) return null;
  return hex.match(/../g)!.join(':');
}

/** Why a MAC can never identify a machine, or null when it can. */
export function macProblem(mac: string): 'NOT_A_MAC' | 'LOCALLY_ADMINISTERED' | 'MULTICAST' | 'EMPTY' | 'VIRTUAL' | null {
  const n = normalizeMac(mac);
  if (n === null) return 'NOT_A_MAC';
  if (n === '00:00:00:00:00:00') return 'EMPTY';
  const first = parseInt(n.slice(0, 2), 16);
  if ((first & 1) === 1) return 'MULTICAST';
  if ((first & 2) === 2) return 'LOCALLY_ADMINISTERED';
  if (VIRTUAL_OUIS.has(n.slice(0, 8))) return 'VIRTUAL';
  return null;
}

/** The normalised MAC when it may identify a machine, else null. */
export function usableMac(value: string): string | null {
  const n = normalizeMac(value);
  return n !== null && macProblem(n) === null ? n : null;
}
