/**
 * Linux audit records (auditd, audisp-syslog, rsyslog imfile of audit.log):
 *
 *   [node=<host> ]type=<TYPE> msg=audit(<epoch>.<ms>:<serial>): key=value key="quoted" key=HEX …
 *
 * Every key goes to `auditd.log.<key>` (as Filebeat's auditd module; record type as
 * `auditd.log.record_type`, serial as `auditd.log.sequence`), so the SigmaHQ auditd rules mapped by
 * rules/mappings/linux-auditd.yml find `type`, `a0`, `exe`, `comm`, `name`, `key`…. Values the
 * kernel hex-encodes when unquoted (proctitle, EXECVE a<N>, exe, comm, name, cwd, key, acct, data,
 * cmd …) are decoded. `msg='…'` inside user-space records is read as key=value too.
 *
 * One event is several records with one serial (SYSCALL, EXECVE, CWD, PATH…, PROCTITLE, EOE):
 * decode returns `multi: { key: [node:]serial, end }` and `merge` folds a record into the event so
 * far the way Auditbeat presents it: ECS process.*, user.*, file.*, source.*, event.* filled from
 * whichever record carries them (first wins), `auditd.log.*` keys seen with different values in
 * several records become arrays (record_type: [SYSCALL, EXECVE, …], name: [dir, file]), so a Sigma
 * selection `type: EXECVE, a0: curl` matches the merged event. A message holding several records of
 * one event on one line (as some forwarders write them) is merged at once and closes its event.
 *
 * The syscall number is resolved to its name (x86_64, i386, aarch64 tables of the security-relevant
 * calls) in `auditd.log.syscall`, as SigmaHQ's `SYSCALL: execve` expects; the raw number stays in
 * `auditd.data.syscall_number`. The kernel's own form (`audit: type=1400 audit(…): …`, as klogd
 * or journald forward it) is read too, its type number named. Dataset: `auditd.log`.
 */
import type { DecodedFields, DecodeResult, DecoderInput } from '../types';
import type { BuiltinCode } from './index';
import { Fields, MAX_INPUT, guarded, guardedMerge, isIp, toInt } from './common';

export const DATASET = 'auditd.log';

const HEADER = /^\s*(?:node=(\S{1,255}) )?type=([A-Za-z0-9_[\]]{1,64}) msg=audit\((\d{1,12})(?:\.(\d{1,6}))?:(\d{1,20})\):?/;
/** The kernel's own form, as klogd/journald forward it: `audit: type=1400 audit(1700000000.123:42): …`. */
const KERNEL = /^\s*(?:\[\s*\d{1,10}\.\d{1,9}\]\s*)?audit: type=(\d{3,4}) audit\((\d{1,12}(?:\.\d{1,6})?:\d{1,20})\):/;

/** Record type numbers (linux/audit.h, libaudit) → names, for the kernel's numeric form. */
const TYPE_NAMES: Record<string, string> = {
  1005: 'USER', 1006: 'LOGIN', 1100: 'USER_AUTH', 1101: 'USER_ACCT', 1102: 'USER_MGMT', 1103: 'CRED_ACQ', 1104: 'CRED_DISP',
  1105: 'USER_START', 1106: 'USER_END', 1107: 'USER_AVC', 1108: 'USER_CHAUTHTOK', 1109: 'USER_ERR', 1110: 'CRED_REFR',
  1111: 'USYS_CONFIG', 1112: 'USER_LOGIN', 1113: 'USER_LOGOUT', 1114: 'ADD_USER', 1115: 'DEL_USER', 1116: 'ADD_GROUP',
  1117: 'DEL_GROUP', 1123: 'USER_CMD', 1130: 'SERVICE_START', 1131: 'SERVICE_STOP', 1200: 'DAEMON_START', 1201: 'DAEMON_END',
  1202: 'DAEMON_ABORT', 1203: 'DAEMON_CONFIG', 1300: 'SYSCALL', 1302: 'PATH', 1303: 'IPC', 1304: 'SOCKETCALL', 1305: 'CONFIG_CHANGE',
  1306: 'SOCKADDR', 1307: 'CWD', 1309: 'EXECVE', 1318: 'FD_PAIR', 1320: 'EOE', 1321: 'BPRM_FCAPS', 1322: 'CAPSET', 1323: 'MMAP',
  1324: 'NETFILTER_PKT', 1325: 'NETFILTER_CFG', 1326: 'SECCOMP', 1327: 'PROCTITLE', 1328: 'FEATURE_CHANGE', 1329: 'REPLACE',
  1330: 'KERN_MODULE', 1331: 'FANOTIFY', 1332: 'TIME_INJOFFSET', 1333: 'TIME_ADJNTPVAL', 1334: 'BPF', 1335: 'EVENT_LISTENER',
  1400: 'AVC', 1401: 'SELINUX_ERR', 1403: 'MAC_POLICY_LOAD', 1404: 'MAC_STATUS', 1405: 'MAC_CONFIG_CHANGE', 1700: 'ANOM_PROMISCUOUS',
  1701: 'ANOM_ABEND', 1702: 'ANOM_LINK', 1703: 'ANOM_CREAT',
};

/** `audit: type=1400 audit(…): rest` → `type=AVC msg=audit(…): rest` (null when not the kernel form). */
export function fromKernelForm(msg: string): string | null {
  const k = KERNEL.exec(msg.slice(0, 256));
  if (!k) return null;
  return `type=${TYPE_NAMES[k[1]!] ?? `UNKNOWN[${k[1]}]`} msg=audit(${k[2]}):${msg.slice(k[0].length)}`;
}

const RECORD_START = /(?:node=\S{1,255} )?type=[A-Za-z0-9_[\]]{1,64} msg=audit\(/g;
const MAX_RECORDS = 64;
const MAX_PAIRS = 512;

/** Keys whose unquoted value is hex-encoded text (auditd's "untrusted string" encoding). */
const HEX_KEYS = new Set([
  'proctitle', 'exe', 'comm', 'name', 'cwd', 'path', 'acct', 'key', 'data', 'cmd', 'ocomm', 'old-chardev', 'new-chardev',
  'old-disk', 'new-disk', 'old-fs', 'new-fs', 'old-net', 'new-net', 'old-rng', 'new-rng', 'root_dir', 'grp', 'new_group',
  'vm', 'watch', 'sw', 'subj',
]);

/**
 * Record types that are a whole event by themselves: user-space messages (USER_*, CRED_*, DAEMON_*,
 * …) and standalone kernel records. Kernel records that may travel with a SYSCALL (AVC, LOGIN,
 * MAC_*, CONFIG_CHANGE …) leave their event open until EOE or the end of the batch.
 */
const SINGLE = /^(?:USER_\w+|CRED_\w+|ADD_\w+|DEL_\w+|ACCT_\w+|GRP_\w+|CHUSER_ID|CHGRP_ID|DAEMON_\w+|SERVICE_\w+|SYSTEM_\w+|USYS_CONFIG|ANOM_(?!PROMISCUOUS|LINK|CREAT)\w+|RESP_\w+|ROLE_\w+|LABEL_\w+|SOFTWARE_UPDATE|TTY|USER|CRYPTO_\w+|TRUSTED_APP|VIRT_\w+|TEST)$/;

// Syscall names by architecture (security-relevant subset).
const X86_64: Record<number, string> = {
  0: 'read', 1: 'write', 2: 'open', 3: 'close', 4: 'stat', 9: 'mmap', 10: 'mprotect', 16: 'ioctl', 21: 'access', 32: 'dup', 33: 'dup2',
  41: 'socket', 42: 'connect', 43: 'accept', 44: 'sendto', 45: 'recvfrom', 46: 'sendmsg', 47: 'recvmsg', 49: 'bind', 50: 'listen',
  56: 'clone', 57: 'fork', 58: 'vfork', 59: 'execve', 60: 'exit', 62: 'kill', 63: 'uname', 76: 'truncate', 77: 'ftruncate', 80: 'chdir',
  82: 'rename', 83: 'mkdir', 84: 'rmdir', 85: 'creat', 86: 'link', 87: 'unlink', 88: 'symlink', 89: 'readlink', 90: 'chmod',
  91: 'fchmod', 92: 'chown', 93: 'fchown', 94: 'lchown', 99: 'sysinfo', 101: 'ptrace', 105: 'setuid', 106: 'setgid', 113: 'setreuid',
  114: 'setregid', 117: 'setresuid', 119: 'setresgid', 132: 'utime', 133: 'mknod', 157: 'prctl', 159: 'adjtimex', 161: 'chroot',
  164: 'settimeofday', 165: 'mount', 166: 'umount2', 167: 'swapon', 169: 'reboot', 170: 'sethostname', 171: 'setdomainname',
  175: 'init_module', 176: 'delete_module', 188: 'setxattr', 189: 'lsetxattr', 190: 'fsetxattr', 197: 'removexattr',
  200: 'tkill', 227: 'clock_settime', 234: 'tgkill', 235: 'utimes', 257: 'openat', 258: 'mkdirat', 259: 'mknodat', 260: 'fchownat',
  261: 'futimesat', 263: 'unlinkat', 264: 'renameat', 265: 'linkat', 266: 'symlinkat', 268: 'fchmodat', 269: 'faccessat',
  280: 'utimensat', 288: 'accept4', 292: 'dup3', 302: 'prlimit64', 304: 'open_by_handle_at', 308: 'setns', 310: 'process_vm_readv',
  311: 'process_vm_writev', 313: 'finit_module', 316: 'renameat2', 319: 'memfd_create', 321: 'bpf', 322: 'execveat',
  425: 'io_uring_setup', 434: 'pidfd_open', 435: 'clone3',
};
const I386: Record<number, string> = {
  1: 'exit', 2: 'fork', 3: 'read', 4: 'write', 5: 'open', 6: 'close', 9: 'link', 10: 'unlink', 11: 'execve', 12: 'chdir', 14: 'mknod',
  15: 'chmod', 21: 'mount', 23: 'setuid', 26: 'ptrace', 37: 'kill', 38: 'rename', 39: 'mkdir', 40: 'rmdir', 61: 'chroot',
  83: 'symlink', 88: 'reboot', 102: 'socketcall', 116: 'sysinfo', 120: 'clone', 128: 'init_module', 129: 'delete_module',
  190: 'vfork', 295: 'openat', 301: 'unlinkat', 358: 'execveat', 350: 'finit_module', 356: 'memfd_create', 357: 'bpf',
  362: 'connect', 361: 'bind',
};
const AARCH64: Record<number, string> = {
  33: 'mknodat', 34: 'mkdirat', 35: 'unlinkat', 36: 'symlinkat', 37: 'linkat', 38: 'renameat', 39: 'umount2', 40: 'mount',
  48: 'faccessat', 49: 'chdir', 51: 'chroot', 52: 'fchmod', 53: 'fchmodat', 54: 'fchownat', 55: 'fchown', 56: 'openat', 57: 'close',
  63: 'read', 64: 'write', 93: 'exit', 105: 'init_module', 106: 'delete_module', 117: 'ptrace', 129: 'kill', 142: 'reboot',
  146: 'setuid', 161: 'sethostname', 179: 'sysinfo', 198: 'socket', 200: 'bind', 201: 'listen', 202: 'accept', 203: 'connect',
  206: 'sendto', 207: 'recvfrom', 220: 'clone', 221: 'execve', 242: 'accept4', 268: 'setns', 270: 'process_vm_readv',
  271: 'process_vm_writev', 273: 'finit_module', 276: 'renameat2', 279: 'memfd_create', 280: 'bpf', 281: 'execveat', 435: 'clone3',
};
const ARCH: Record<string, { name: string; table: Record<number, string> }> = {
  c000003e: { name: 'x86_64', table: X86_64 },
  '40000003': { name: 'i386', table: I386 },
  c00000b7: { name: 'aarch64', table: AARCH64 },
};

export function syscallName(arch: string | undefined, nr: string | undefined): string | undefined {
  const n = toInt(nr);
  if (n === null || !arch) return undefined;
  return ARCH[arch.toLowerCase()]?.table[n];
}

const hexText = (v: string): string | null => {
  if (v.length < 2 || v.length % 2 !== 0 || v.length > 2 * MAX_INPUT || !/^[0-9A-F]+$/.test(v)) return null;
  return Buffer.from(v, 'hex').toString('utf8');
};

interface Pair { key: string; value: string; quoted: boolean }

/** Reads `k=v k="v" k='v'` pairs; `msg='…'` is read as pairs too (one level). Free words are skipped. */
export function parsePairs(body: string, out: Pair[], depth = 0): void {
  const n = body.length;
  let i = 0;
  while (i < n && out.length < MAX_PAIRS) {
    while (i < n && (body[i] === ' ' || body[i] === '\t' || body[i] === '\x1d' || body[i] === '(' || body[i] === ',')) i++;
    if (i >= n) break;
    const keyStart = i;
    while (i < n && /[A-Za-z0-9_\-[\].]/.test(body[i]!)) i++;
    if (i === keyStart || body[i] !== '=') {
      // A free word ("auditd start,", "avc:  denied  { write } for"): skip to the next space.
      while (i < n && body[i] !== ' ' && body[i] !== '\x1d') i++;
      continue;
    }
    const key = body.slice(keyStart, i);
    i++;
    const q = body[i];
    if (q === '"' || q === "'") {
      const end = body.indexOf(q, i + 1);
      const value = end < 0 ? body.slice(i + 1) : body.slice(i + 1, end);
      i = end < 0 ? n : end + 1;
      if (q === "'" && depth === 0 && key === 'msg') parsePairs(value, out, depth + 1);
      else out.push({ key, value, quoted: true });
    } else {
      const start = i;
      while (i < n && body[i] !== ' ' && body[i] !== '\x1d' && body[i] !== '\t') i++;
      let value = body.slice(start, i);
      while (value.endsWith(',') || (value.endsWith(')') && !value.startsWith('('))) value = value.slice(0, -1);
      out.push({ key, value, quoted: false });
    }
  }
}

const unset = (v: string | undefined): boolean => v === undefined || v === '' || v === '?' || v === '(null)' || v === '(none)' || v === '4294967295' || v === '-1' || v === 'unset';

/** Decodes one record into fields (no merging). */
function decodeRecord(text: string, f: Fields): { type: string; key: string } | null {
  const h = HEADER.exec(text);
  if (!h) return null;
  const node = h[1];
  const type = h[2]!;
  const serial = h[5]!;
  f.set('auditd.log.record_type', type);
  f.setInt('auditd.log.sequence', serial);
  f.set('auditd.log.epoch', h[4] ? `${h[3]}.${h[4]}` : h[3]);
  if (node) {
    f.set('auditd.log.node', node);
    f.set('host.name', node);
    f.related('hosts', node);
  }
  if (type === 'EOE') return { type, key: node ? `${node}:${serial}` : serial };

  const body = text.slice(h[0].length);
  const pairs: Pair[] = [];
  parsePairs(body, pairs);
  // SELinux AVC: `avc:  denied  { read write } for  pid=…` (names as Auditbeat's auditd.data.*).
  const avc = /^\s*avc:\s+(granted|denied)\s+\{\s*([^}]{1,200}?)\s*\}/.exec(body);
  if (avc) {
    f.set('auditd.data.seresult', avc[1]);
    f.set('auditd.data.seperms', avc[2]!.split(/\s+/));
  }
  // AppArmor reports through AVC records too: apparmor="DENIED" operation="open" profile=… name=…
  const apparmor = /(?:^|\s)apparmor="(ALLOWED|DENIED|AUDIT|STATUS|HINT|KILL|ERROR)"/.exec(body);
  if (apparmor) f.set('auditd.data.seresult', apparmor[1] === 'DENIED' || apparmor[1] === 'KILL' ? 'denied' : apparmor[1] === 'ALLOWED' ? 'granted' : apparmor[1]!.toLowerCase());
  const kv: Record<string, string> = Object.create(null) as Record<string, string>;
  const args: Array<[number, string]> = [];
  const argParts: Record<number, Array<[number, string]>> = {};
  for (const { key, value: raw, quoted } of pairs) {
    let value = raw;
    const execArg = type === 'EXECVE' ? /^a(\d{1,4})(?:\[(\d{1,4})\])?$/.exec(key) : null;
    if (!quoted && (HEX_KEYS.has(key) || execArg)) {
      const t = hexText(value);
      if (t !== null) value = key === 'proctitle' ? t.replace(/\0+$/, '').replace(/\0/g, ' ') : t;
    }
    if (key === 'key' && value.includes('\x01')) {
      f.set('auditd.log.key', value.split('\x01').slice(0, 16));
      kv[key] = value;
      continue;
    }
    if (execArg) {
      const idx = Number(execArg[1]);
      if (execArg[2] !== undefined) (argParts[idx] ??= []).push([Number(execArg[2]), value]);
      else args.push([idx, value]);
    }
    if (!(key in kv)) kv[key] = value;
    f.setDefault(`auditd.log.${key}`, value);
  }

  // Process.
  f.setInt('process.pid', kv['pid']);
  f.setInt('process.parent.pid', kv['ppid']);
  if (!unset(kv['exe'])) f.set('process.executable', kv['exe']);
  if (!unset(kv['comm'])) f.set('process.name', kv['comm']);
  if (type === 'CWD' && !unset(kv['cwd'])) f.set('process.working_directory', kv['cwd']);
  if (type === 'PROCTITLE' && kv['proctitle']) f.set('process.title', kv['proctitle']);
  if (type === 'EXECVE') {
    for (const [idx, parts] of Object.entries(argParts)) args.push([Number(idx), parts.sort((a, b) => a[0] - b[0]).map((p) => p[1]).join('')]);
    args.sort((a, b) => a[0] - b[0]);
    const list = args.slice(0, 256).map((a) => a[1]);
    if (list.length > 0) {
      f.set('process.args', list);
      f.set('process.args_count', toInt(kv['argc']) ?? list.length);
      f.set('process.command_line', list.join(' '));
    }
  }

  // Syscall.
  if (kv['syscall'] !== undefined) {
    const name = kv['SYSCALL'] ?? syscallName(kv['arch'], kv['syscall']);
    f.set('auditd.data.syscall_number', kv['syscall']);
    if (name) {
      f.set('auditd.log.syscall', name);
      f.set('auditd.data.syscall', name);
    }
    const arch = kv['arch'] ? ARCH[kv['arch'].toLowerCase()]?.name : undefined;
    f.set('auditd.data.arch', kv['ARCH'] ?? arch ?? kv['arch']);
    for (const k of ['a0', 'a1', 'a2', 'a3', 'exit', 'tty', 'items']) f.set(`auditd.data.${k}`, kv[k]);
  }

  // Users.
  const iam = /^(?:ADD_|DEL_|USER_MGMT|ACCT_|GRP_|CHUSER_ID|CHGRP_ID)/.test(type);
  if (!unset(kv['uid'])) f.set('user.id', kv['uid']);
  if (!unset(kv['euid'])) f.set('user.effective.id', kv['euid']);
  if (!unset(kv['suid'])) f.set('user.saved.id', kv['suid']);
  if (!unset(kv['fsuid'])) f.set('user.filesystem.id', kv['fsuid']);
  if (!unset(kv['gid'])) f.set('user.group.id', kv['gid']);
  if (!unset(kv['egid'])) f.set('user.effective.group.id', kv['egid']);
  if (!unset(kv['auid'])) f.set('user.audit.id', kv['auid']);
  const names: Array<[string, string]> = [['UID', 'user.name'], ['EUID', 'user.effective.name'], ['AUID', 'user.audit.name'], ['GID', 'user.group.name'], ['EGID', 'user.effective.group.name']];
  for (const [k, field] of names) {
    if (!unset(kv[k])) {
      f.set(field, kv[k]);
      if (field.endsWith('.name') && !field.includes('group')) f.related('user', kv[k]);
    }
  }
  const acct = kv['acct'];
  if (!unset(acct)) {
    if (iam) f.set('user.target.name', acct);
    else f.set('user.name', acct);
    f.related('user', acct);
  }
  if (iam && !unset(kv['id'])) f.set('user.target.id', kv['id']);

  // Remote end.
  const addr = kv['addr'];
  if (isIp(addr)) f.setIp('source.ip', addr);
  const hostname = kv['hostname'];
  if (!unset(hostname) && hostname !== addr) {
    if (isIp(hostname)) {
      if (!f.has('source.ip')) f.setIp('source.ip', hostname);
    } else {
      f.set('source.domain', hostname);
      f.related('hosts', hostname);
    }
  }

  // Files.
  if (type === 'PATH' && !unset(kv['name'])) {
    if (kv['nametype'] !== 'PARENT') {
      f.set('file.path', kv['name']);
      if (!unset(kv['inode'])) f.set('file.inode', kv['inode']);
      if (!unset(kv['ouid'])) f.set('file.uid', kv['ouid']);
      if (!unset(kv['ogid'])) f.set('file.gid', kv['ogid']);
      if (kv['mode'] && /^0?[0-7]{4,7}$/.test(kv['mode'])) f.set('file.mode', kv['mode'].slice(-4));
    }
  }
  if (type === 'SOCKADDR' && kv['saddr']) decodeSockaddr(kv['saddr'], f);

  return { type, key: node ? `${node}:${serial}` : serial };
}

/** SOCKADDR saddr (hex struct sockaddr): AF_INET / AF_INET6 address and port, AF_UNIX path. */
function decodeSockaddr(hex: string, f: Fields): void {
  if (!/^[0-9A-Fa-f]{4,}$/.test(hex) || hex.length > 512) return;
  const b = Buffer.from(hex, 'hex');
  const family = b.readUInt16LE(0);
  if (family === 2 && b.length >= 8) {
    f.set('auditd.data.socket.family', 'ipv4');
    f.set('auditd.data.socket.port', b.readUInt16BE(2));
    f.set('auditd.data.socket.addr', `${b[4]}.${b[5]}.${b[6]}.${b[7]}`);
  } else if (family === 10 && b.length >= 24) {
    const parts: string[] = [];
    for (let i = 8; i < 24; i += 2) parts.push(b.readUInt16BE(i).toString(16));
    f.set('auditd.data.socket.family', 'ipv6');
    f.set('auditd.data.socket.port', b.readUInt16BE(2));
    f.set('auditd.data.socket.addr', parts.join(':').replace(/(^|:)0(:0)+(:|$)/, '::'));
  } else if (family === 1 && b.length > 2) {
    f.set('auditd.data.socket.family', 'unix');
    f.set('auditd.data.socket.path', b.subarray(2).toString('utf8').replace(/\0.*$/s, ''));
  }
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** Sets event.kind/action/category/type/outcome from the (merged) record fields. */
export function categorize(out: DecodedFields): void {
  const types = asList(out['auditd.log.record_type']).map(String);
  const has = (t: string): boolean => types.includes(t);
  const primary = types[0] ?? '';
  const syscall = asList(out['auditd.log.syscall']).map(String);
  const nametypes = asList(out['auditd.log.nametype']).map(String);
  let category: string[] = [];
  let type: string[] = [];
  let action = primary.toLowerCase();

  if (has('EXECVE') || syscall.includes('execve') || syscall.includes('execveat')) {
    category = ['process']; type = ['start']; action = 'executed';
  } else if (primary === 'SYSCALL') {
    if (syscall.some((s) => ['init_module', 'finit_module'].includes(s))) { category = ['driver']; type = ['start']; action = 'loaded-kernel-module'; }
    else if (syscall.includes('delete_module')) { category = ['driver']; type = ['end']; action = 'unloaded-kernel-module'; }
    else if (nametypes.includes('CREATE')) { category = ['file']; type = ['creation']; }
    else if (nametypes.includes('DELETE')) { category = ['file']; type = ['deletion']; }
    else if (syscall.some((s) => ['connect', 'sendto', 'sendmsg'].includes(s))) { category = ['network']; type = ['connection', 'start']; }
    else if (syscall.some((s) => ['bind', 'listen', 'accept', 'accept4'].includes(s))) { category = ['network']; type = ['connection']; }
    else if (has('PATH')) { category = ['file']; type = ['access']; }
    else { category = ['process']; type = ['info']; }
  } else if (primary === 'USER_LOGIN') { category = ['authentication', 'session']; type = ['start']; }
  else if (primary === 'USER_LOGOUT') { category = ['session']; type = ['end']; }
  else if (primary === 'LOGIN' || primary === 'USER_START') { category = ['session']; type = ['start']; }
  else if (primary === 'USER_END') { category = ['session']; type = ['end']; }
  else if (/^(?:USER_AUTH|USER_ACCT|USER_CHAUTHTOK|USER_ERR|CRED_ACQ|CRED_REFR|CRED_DISP|ANOM_LOGIN_\w+|USER_ROLE_CHANGE|GRP_AUTH)$/.test(primary)) { category = ['authentication']; type = ['info']; }
  else if (primary === 'ADD_USER') { category = ['iam']; type = ['user', 'creation']; }
  else if (primary === 'DEL_USER') { category = ['iam']; type = ['user', 'deletion']; }
  else if (primary === 'ADD_GROUP') { category = ['iam']; type = ['group', 'creation']; }
  else if (primary === 'DEL_GROUP') { category = ['iam']; type = ['group', 'deletion']; }
  else if (/^(?:USER_MGMT|ACCT_LOCK|ACCT_UNLOCK|CHUSER_ID|ANOM_ADD_ACCT|ANOM_DEL_ACCT|ANOM_MOD_ACCT)$/.test(primary)) { category = ['iam']; type = ['user', 'change']; }
  else if (/^(?:GRP_MGMT|CHGRP_ID|GRP_CHAUTHTOK)$/.test(primary)) { category = ['iam']; type = ['group', 'change']; }
  else if (primary === 'USER_CMD') { category = ['process']; type = ['start']; }
  else if (primary === 'SERVICE_START' || primary === 'DAEMON_START') { category = ['process']; type = ['start']; }
  else if (primary === 'SERVICE_STOP' || primary === 'DAEMON_END' || primary === 'DAEMON_ABORT' || primary === 'ANOM_ABEND') { category = ['process']; type = ['end']; }
  else if (/^(?:DAEMON_RESUME|DAEMON_ROTATE|DAEMON_RECONFIG)$/.test(primary)) { category = ['process']; type = ['change']; }
  else if (/^(?:CONFIG_CHANGE|DAEMON_CONFIG|USYS_CONFIG|MAC_CONFIG_CHANGE|MAC_POLICY_LOAD|MAC_STATUS|NETFILTER_CFG)$/.test(primary)) { category = ['configuration']; type = ['change']; }
  else if (primary === 'SYSTEM_BOOT') { category = ['host']; type = ['start']; }
  else if (primary === 'SYSTEM_SHUTDOWN') { category = ['host']; type = ['end']; }
  else if (primary === 'ANOM_PROMISCUOUS') { category = ['host']; type = ['change']; }
  else if (primary === 'KERN_MODULE') { category = ['driver']; type = ['info']; }
  else if (/^(?:AVC|USER_AVC|SELINUX_ERR|USER_SELINUX_ERR|APPARMOR_DENIED|APPARMOR_ALLOWED)$/.test(primary)) {
    category = ['intrusion_detection'];
    const res = asList(out['auditd.data.seresult']);
    type = res.includes('granted') || primary === 'APPARMOR_ALLOWED' ? ['allowed'] : res.includes('denied') || res.length === 0 ? ['denied'] : ['info'];
  }

  out['event.kind'] = 'event';
  if (action) out['event.action'] = action;
  if (category.length > 0) out['event.category'] = category; else delete out['event.category'];
  if (type.length > 0) out['event.type'] = type; else delete out['event.type'];

  const success = asList(out['auditd.log.success']).map(String);
  const res = asList(out['auditd.log.res']).map(String);
  let outcome: string | undefined;
  if (success.includes('no') || res.some((r) => r === 'failed' || r === 'no' || r === '0' || r === 'failure')) outcome = 'failure';
  else if (success.includes('yes') || res.some((r) => r === 'success' || r === 'yes' || r === '1')) outcome = 'success';
  if (outcome) out['event.outcome'] = outcome;

  // A connect() whose SOCKADDR record was decoded: the peer is the destination.
  if (category.includes('network') && type.includes('start') && typeof out['auditd.data.socket.addr'] === 'string' && isIp(out['auditd.data.socket.addr'])) {
    if (out['destination.ip'] === undefined) {
      out['destination.ip'] = out['auditd.data.socket.addr'];
      const rel = asList(out['related.ip']);
      if (!rel.includes(out['destination.ip'])) out['related.ip'] = [...rel, out['destination.ip']];
    }
    if (out['destination.port'] === undefined && typeof out['auditd.data.socket.port'] === 'number') out['destination.port'] = out['auditd.data.socket.port'];
  }
}

const UNION = /^(?:related\.|auditd\.log\.)/;

function mergeFields(into: DecodedFields, next: DecodedFields): DecodedFields {
  const out: DecodedFields = { ...into };
  if (next['auditd.log.record_type'] === 'EOE') return out;
  for (const [k, v] of Object.entries(next)) {
    if (k === 'event.kind' || k === 'event.action' || k === 'event.category' || k === 'event.type' || k === 'event.outcome') continue;
    const cur = out[k];
    if (cur === undefined) {
      out[k] = Array.isArray(v) ? [...(v as unknown[])] : v;
    } else if (UNION.test(k)) {
      const list = asList(cur);
      const add = asList(v).filter((x) => !list.includes(x));
      if (add.length > 0) out[k] = [...list, ...add].slice(0, 64);
    }
    // Other (ECS) fields: the first record that carries one wins (SYSCALL comes first).
  }
  categorize(out);
  return out;
}

function decode(input: DecoderInput): DecodeResult | null {
  let msg = fromKernelForm(input.message) ?? input.message;
  if (!HEADER.test(msg.slice(0, 512))) {
    // `type=X msg=audit(` but no complete header: an audit record, broken.
    return /^\s*(?:node=\S+ )?type=[A-Za-z0-9_]+ msg=audit\(/.test(msg.slice(0, 512)) ? { ok: false, reason: 'auditd: malformed record header (msg=audit(<epoch>:<serial>): expected)' } : null;
  }
  if (msg.length > MAX_INPUT) msg = msg.slice(0, MAX_INPUT);
  // Several records on one line (some forwarders join an event's records): split them.
  const starts: number[] = [];
  RECORD_START.lastIndex = 0;
  for (let m = RECORD_START.exec(msg); m && starts.length < MAX_RECORDS; m = RECORD_START.exec(msg)) {
    if (m.index === 0 || /\s/.test(msg[m.index - 1]!)) starts.push(m.index);
    if (RECORD_START.lastIndex === m.index) RECORD_START.lastIndex++;
  }
  if (starts.length === 0) return null;
  let merged: DecodedFields | null = null;
  let firstKey = '';
  let lastType = '';
  for (let i = 0; i < starts.length; i++) {
    const text = msg.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : msg.length).trimEnd();
    const f = new Fields();
    const rec = decodeRecord(text, f);
    if (!rec) {
      if (i === 0) return { ok: false, reason: 'auditd: malformed record header' };
      continue;
    }
    if (i === 0) firstKey = rec.key;
    else if (rec.key !== firstKey) break; // a different event on the same line: keep the first
    lastType = rec.type;
    if (merged === null) {
      categorize(f.out);
      merged = f.out;
    } else {
      merged = mergeFields(merged, f.out);
    }
  }
  if (merged === null) return { ok: false, reason: 'auditd: no record' };
  const end = starts.length > 1 || lastType === 'EOE' || SINGLE.test(lastType);
  return { ok: true, dataset: DATASET, fields: merged, multi: { key: firstKey, end } };
}

export const auditd: BuiltinCode = { decode: guarded('auditd', decode), merge: guardedMerge(mergeFields) };
