#!/bin/bash
# The passphrase prompt: a client on a pseudo-terminal (python's pty) is asked
# for the passphrase without echo, accepts it (it reads a room member who got
# the passphrase from VCHAT_KEY), and once keyed keeps no copy of it anywhere
# in its memory (all of /proc/PID/mem is searched; stdio's buffers are freed
# unwiped, so a prompt read through stdio leaves one behind).
. "$(dirname "$0")/vchat_lib.sh"

pass="tty passphrase 7f3a9c, long enough to outlive malloc headers"
start_server "$VCHAT" || { not_ok "server starts"; vchat_done; }
ok "server listening on 127.0.0.1:$PORT"
VCHAT_KEY=$pass start_client alice

# The pty side: prompt, passphrase, then wait for alice's line, then search
# the client's memory, then /quit. Prints TAP-less facts the checks read.
python3 - "$VCHAT" "$PORT" "$pass" "$T/alice.in" >"$T/pty.out" 2>&1 <<'PY' &
import os, pty, re, sys, time
vchat, port, pw, alice_in = sys.argv[1:5]
env = {k: v for k, v in os.environ.items() if k != 'VCHAT_KEY'}
pid, fd = pty.fork()
if pid == 0:
    os.execve(vchat, [vchat, 'client', '127.0.0.1', port, '--nick', 'tty'], env)
buf = b''
def until(pat, secs):
    global buf
    end = time.time() + secs
    while time.time() < end:
        if re.search(pat, buf):
            return True
        try:
            import select
            r, _, _ = select.select([fd], [], [], 0.1)
            if r:
                buf += os.read(fd, 4096)
        except OSError:
            return False
    return bool(re.search(pat, buf))
print('prompt:', until(rb'vchat passphrase: ', 20))
os.write(fd, pw.encode() + b'\n')
print('connected:', until(rb'connected to', 30))
print('echoed:', pw.encode() in buf)
with open(alice_in, 'w') as a:
    a.write('hello tty\n')
print('read alice:', until(rb'<alice> hello tty', 20))
# Everything readable in the client's address space.
hits, tail = [], pw.encode()[-24:]
for line in open(f'/proc/{pid}/maps'):
    f = line.split()
    lo, hi = (int(x, 16) for x in f[0].split('-'))
    if 'r' not in f[1] or (len(f) > 5 and f[5] in ('[vvar]', '[vsyscall]')):
        continue
    try:
        with open(f'/proc/{pid}/mem', 'rb') as m:
            m.seek(lo)
            data = m.read(hi - lo)
    except OSError:
        continue
    i = data.find(tail)
    while i >= 0:
        hits.append(f'{lo + i:x} {f[5] if len(f) > 5 else "anon"}')
        i = data.find(tail, i + 1)
print('memory copies:', len(hits), ' '.join(hits))
os.write(fd, b'/quit\n')
until(rb'\Z\A', 1)
os.waitpid(pid, 0)
PY
ppid=$!
_pids+=("$ppid")
wait "$ppid"
sed 's/^/#   /' "$T/pty.out"
check "the client on a terminal prompts for the passphrase" grep -q '^prompt: True' "$T/pty.out"
check "the passphrase typed at the prompt is accepted (the client keys and connects)" \
	grep -q '^connected: True' "$T/pty.out"
check "the prompt does not echo the passphrase" grep -q '^echoed: False' "$T/pty.out"
check "the prompted key is the room's key: the terminal client reads alice" \
	grep -q '^read alice: True' "$T/pty.out"
check "no copy of the passphrase is left in the client's memory once keyed" \
	grep -q '^memory copies: 0' "$T/pty.out"
quit alice

# pass_pty OUT ARG TEXT: vchat_pass ARG on a fresh terminal; TEXT and Enter
# typed at its "passphrase: " prompt; all it printed goes to OUT.
pass_pty() {
	python3 - "$B/tests/host/vchat_pass" "$2" "$3" >"$1" 2>&1 <<'PY'
import os, pty, select, sys, time
prog, arg, text = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(prog, [prog, arg])
buf, end = b'', time.time() + 20
while time.time() < end and b'passphrase: ' not in buf:
    if select.select([fd], [], [], 0.1)[0]:
        buf += os.read(fd, 4096)
os.write(fd, text.encode() + b'\n')
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    buf += d
os.waitpid(pid, 0)
sys.stdout.write(buf.decode(errors='replace').replace('\r', ''))
PY
	sed 's/^/#   /' "$1"
}

# The reader alone, on a fresh terminal: what it leaves behind right after
# the read, before anything else reuses the heap (in the client, OpenSSL's
# allocations happen to overwrite a freed stdio buffer; nothing wipes it).
# vchat_pass is given the passphrase XORed with 0x5a, in hex, to look for.
hexpass=$(python3 -c 'import sys; print(bytes(b ^ 0x5a for b in sys.argv[1].encode()).hex())' "$pass")
pass_pty "$T/reader.out" "$hexpass" "$pass"
check "the prompt reader returns the passphrase as typed" grep -q '^read: [0-9]* bytes from prompt, as typed' "$T/reader.out"
check "after the caller wipes its buffer, no copy is left in memory (stdio buffers included)" \
	grep -q '^copies left: 0$' "$T/reader.out"

# A line longer than the buffer (1023 bytes) is refused, not cut short.
pass_pty "$T/long.out" --long "$(head -c 1500 /dev/zero | tr '\0' y)"
check "a 1,500-byte passphrase line is refused (EMSGSIZE), not cut to 1,023" \
	grep -q '^read: -90 (Message too long)' "$T/long.out"
vchat_done
