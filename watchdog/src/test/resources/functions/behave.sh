# Does what X-Behave asks, so one watchdog can see every kind of outcome.
case "$Http_X_Behave" in
    fail) cat > /dev/null; exit 3 ;;
    crash) kill -SEGV $$ ;;
    sleep) exec sleep 30 ;;
    hold) echo $$ > "$Http_X_Pid_File"; cat > /dev/null; echo released ;;
    *) exec cat ;;
esac
