"""secure_exec.host layer."""
