"""secure_exec.providers layer."""
