// errors: subclassed errors keep name, fields and instanceof
class ValidationError extends Error {
  constructor(field) { super("invalid " + field); this.name = "ValidationError"; this.field = field; }
}
try { throw new ValidationError("email"); } catch (e) {
  console.log(e.name, e.message, e.field, e instanceof ValidationError, e instanceof Error, String(e));
}
