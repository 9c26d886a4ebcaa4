# Ignores SIGTERM and blocks: only SIGKILL ends it.
trap '' TERM
cat > /dev/null
sleep 100
