/** `catalyst portal`: serve the browser pages for study creation, client-side sharing and upload, and reveal. */
import type { Command } from "commander";
import { action, collect, wholeNumber } from "./command.js";
import { readText } from "./files.js";
import { startPortal } from "./portal/server.js";

interface PortalFlags {
  study?: string;
  grants?: string;
  storeOrigin?: string[];
  port: string;
  host: string;
}

export function registerPortal(program: Command): void {
  program
    .command("portal")
    .description("serve the Catalyst Portal: study, data-partner and reveal pages that do all their work in the browser")
    .option("--study <file>", "a study.json to offer the pages")
    .option("--grants <dir>", "a folder of grant files (PARTNER.PARTY.grant.json) to offer each partner")
    .option("--store-origin <origin>", "another store the pages may upload to, for grant files partners bring themselves (repeatable)", collect)
    .option("--port <port>", "port to listen on (0 picks a free one)", "8080")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .action(action<PortalFlags>(async (options, reporter) => {
      const portal = await startPortal({
        study: options.study ? { text: await readText(options.study, "the study file"), file: options.study } : undefined,
        grantsDir: options.grants,
        storeOrigins: options.storeOrigin,
        port: wholeNumber(options.port, "--port"),
        host: options.host,
      });
      reporter.result({ url: portal.url, study: portal.study?.id, grants: portal.grants, partnerLinks: portal.partnerLinks });
      reporter.line(`Catalyst Portal at ${portal.url}${portal.study ? ` for study "${portal.study.name}"` : ""}${portal.grants ? `, ${portal.grants} grant files` : ""}; Ctrl-C stops it`);
      const links = Object.entries(portal.partnerLinks);
      if (links.length > 0) reporter.line("Send each data partner its own link (it carries the key to its upload grants):");
      for (const [partner, link] of links) reporter.line(`  ${partner}: ${link}`);
      if (!/^(127\.|localhost$|::1$|\[::1\]$)/.test(options.host)) reporter.warn(`the portal speaks plain HTTP on ${options.host}: put it behind TLS (a reverse proxy) before partners use it over a network`);
      await new Promise<void>((resolve) => {
        const stop = () => { process.off("SIGINT", stop); process.off("SIGTERM", stop); void portal.close().then(resolve); };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    }));
}
