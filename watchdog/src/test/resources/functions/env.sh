# Prints the request metadata the watchdog passes in the environment.
env | grep '^Http_' | sort
