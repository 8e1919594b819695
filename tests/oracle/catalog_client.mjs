// Runs methods of Backstage's own @backstage/catalog-client against a server.
// stdin: {"baseUrl": "...", "token": "...", "calls": [["method", ...args], ...]}
// stdout: one result per call: {"value": ...} or {"error": {"name", "status", "message"}}.
// "queryEntitiesAll" follows nextCursor to the end and returns every page;
// stream* methods (async iterables) return the list of pages they yield.
import { CatalogClient } from "@backstage/catalog-client";

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => (text += chunk));
  process.stdin.on("end", () => resolve(text));
}));

const client = new CatalogClient({
  discoveryApi: { getBaseUrl: async () => input.baseUrl },
  fetchApi: { fetch },
});
const options = { token: input.token };

async function run([method, ...args]) {
  if (method === "queryEntitiesAll") {
    const pages = [];
    let page = await client.queryEntities(args[0], options);
    pages.push(page);
    while (page.pageInfo.nextCursor) {
      page = await client.queryEntities({ cursor: page.pageInfo.nextCursor, limit: args[0].limit }, options);
      pages.push(page);
    }
    return pages;
  }
  if (method.startsWith("stream")) {
    const pages = [];
    for await (const page of client[method](...args, options)) pages.push(page);
    return pages;
  }
  return client[method](...args, options);
}

const results = [];
for (const call of input.calls) {
  try {
    results.push({ value: (await run(call)) ?? null });
  } catch (error) {
    results.push({
      error: { name: error.name, status: error.response?.status ?? null, message: String(error.message) },
    });
  }
}
process.stdout.write(JSON.stringify(results));
