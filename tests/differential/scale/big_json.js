// scale: JSON.parse/stringify of a ~2 MB document
const doc = { items: Array.from({ length: 20000 }, (_, i) => ({ id: i, name: "item-" + i, tags: ["a", "b"] })) };
const text = JSON.stringify(doc);
const back = JSON.parse(text);
console.log(text.length, back.items.length, back.items[19999].name);
