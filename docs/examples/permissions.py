"""The original secure-exec permissions example (seed/permissions.md), translated one to one."""

import json

import secure_exec as se

filesystem = se.create_in_memory_file_system()
filesystem.write_file("/secret.txt", "top secret")

runtime = se.NodeRuntime(
    system_driver=se.create_node_driver(
        filesystem=filesystem,
        permissions={
            "fs": lambda request: se.Decision(allow=request.path.startswith("/workspace")),
        },
    ),
    runtime_driver_factory=se.create_node_runtime_driver_factory(),
)

result = runtime.run(
    """
import fs from "node:fs";
fs.mkdirSync("/workspace", { recursive: true });
fs.writeFileSync("/workspace/message.txt", "hello from permissions");
let blocked = false;
try {
  fs.readFileSync("/secret.txt", "utf8");
} catch (error) {
  blocked = error && error.code === "EACCES";
}
export const message = fs.readFileSync("/workspace/message.txt", "utf8");
export { blocked };
""",
    "/entry.mjs",
)

exports = result.exports or {}
print(
    json.dumps(
        {
            "ok": result.code == 0
            and exports.get("message") == "hello from permissions"
            and exports.get("blocked") is True,
            "message": exports.get("message"),
            "blocked": exports.get("blocked"),
            "summary": "filesystem access was allowed for /workspace and denied for /secret.txt",
        }
    )
)
