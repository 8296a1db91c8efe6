"""secure_exec.audit layer."""
