# Leaves a process behind in a session of its own, where no signal to the function's process
# group reaches it, and writes that process's pid to $1; its stdio is /dev/null, so the
# function's output still ends. Then runs the rest of the command line in its own place, or
# answers "started" when there is none.
pidfile=$1
shift
setsid sh -c 'echo $$ > "$1"; exec sleep 1000' escape "$pidfile" </dev/null >/dev/null 2>&1 &
# Until the pid is written the process may still be in the function's group, which is ended as
# soon as the function exits.
while [ ! -s "$pidfile" ]; do
    sleep 0.01
done
if [ $# -gt 0 ]; then
    exec "$@"
fi
echo started
