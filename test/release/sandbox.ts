/**
 * Runs a command as on an air-gapped workstation: in a network namespace with no interface but
 * loopback, and a mount namespace where every file system is read-only except the directories
 * named (the output). HOME and the working directory are a directory holding only what the caller put
 * there, read-only like the rest. Before the command runs, the sandbox checks itself: writing
 * to the working directory, HOME, /tmp or /var/tmp must fail, and `ip link` must show only lo.
 * Needs root (unshare), util-linux and iproute2.
 */
import { run, type RunResult } from '../helpers/tools.js';

const SETUP = `set -eu
dir=$1 writable=$2
shift 2
ip link set lo up
for w in $writable; do mount --bind "$w" "$w"; done
for m in $(awk '{print $2}' /proc/self/mounts | sort -u); do
  case " $writable " in *" $m "*) continue ;; esac
  case $m in
    /proc|/proc/*|/sys|/sys/*|/dev|/dev/*) ;;
    *) mount -o remount,bind,ro "$m" 2>/dev/null || true ;;
  esac
done
for d in "$dir" "$HOME" /tmp /var/tmp; do
  if (: > "$d/.kubeseed-sandbox-probe") 2>/dev/null; then echo "sandbox: $d is writable" >&2; exit 97; fi
done
links=$(ip -o link show | awk -F': ' '{print $2}')
if [ "$links" != lo ]; then echo "sandbox: interfaces besides lo: $links" >&2; exit 97; fi
cd "$dir"
exec "$@"
`;

/** Tools the sandbox needs, for needTools. */
export const SANDBOX_TOOLS = ['unshare:util-linux', 'ip:iproute2'] as const;

/**
 * Runs `argv` in `dir` (also HOME) with only the `writable` directories (paths without spaces)
 * writable and no network. The environment is PATH and HOME alone.
 */
export function isolated(writable: readonly string[], dir: string, argv: readonly string[]): RunResult {
  if (writable.some((w) => /\s/.test(w))) throw new Error(`sandbox: a writable path with a space: ${writable.join(', ')}`);
  return run('unshare', ['--mount', '--net', '--propagation', 'private', '--', 'sh', '-c', SETUP, 'sandbox', dir, writable.join(' '), ...argv], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
  });
}
