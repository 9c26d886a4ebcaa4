# Leaves a process behind in a session of its own that keeps the function's stdout open, and
# writes that process's pid to $1; then answers "started" and exits. The response cannot end
# by itself while that process lives.
pidfile=$1
setsid sh -c 'echo $$ > "$1"; exec sleep 1000' hold "$pidfile" </dev/null 2>/dev/null &
while [ ! -s "$pidfile" ]; do
    sleep 0.01
done
echo started
