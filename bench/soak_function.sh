#!/bin/sh
# The soak's function (fork modes): what the X-Soak header asks for.
case "$Http_X_Soak" in
    slow) sleep 0.5; exec cat ;;
    fail) cat > /dev/null; echo "failing on purpose" >&2; exit 3 ;;
    timeout) exec sleep 60 ;;
    *) exec cat ;;
esac
