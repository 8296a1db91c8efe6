// events: EventTarget/Event globals dispatch to listeners
const et = new EventTarget();
et.addEventListener("ping", (ev) => console.log("ping", ev.type, ev instanceof Event));
et.addEventListener("ping", () => console.log("once"), { once: true });
et.dispatchEvent(new Event("ping"));
et.dispatchEvent(new Event("ping"));
