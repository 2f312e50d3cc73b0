#!/usr/bin/env node
import { Command, Option, InvalidArgumentError } from 'commander';
import { eventStreams } from '../connectors/elasticsearch/streams';
import { loadConfig, type LoadedConfig } from '../pipeline/config/load';
import { HaetaeError, messageOf } from '../pipeline/errors/catalog';
import { ALL_ROLES, runRoles, type Role } from '../pipeline/roles/run';
import { createEsClient } from '../connectors/elasticsearch/client';
import { createNotificationQueue, queueSettings } from '../connectors/bullmq/queue';
import { formatTable, searchEvents } from './commands/search';
import { formatParseSummary, parseLines } from './commands/parse';
import { chooseMappings, configFileFor, displayPath, mappingsNote, reportText, validateRules, type ValidatedSet } from './commands/rules-validate';
import { formatImportReport, importReportJson, importSigma } from './commands/import-sigma';
import { compileValidators } from '../schemas/validators';
import path from 'node:path';
import { dropFailed, formatFailedJob, listFailed, retryFailed } from './commands/notify';
import { matchEvents } from './commands/rules-match';
import { REPLAY_LEAVES_OUT, formatReplayAlert, replay } from './commands/rules-replay';
import { parseDuration } from './duration';
import { eventFromArgument, explainRule, formatExplain } from './commands/rules-explain';
import fs from 'node:fs';
import { formatRuleTestReport, runRuleTests } from '../pipeline/detect/rule-tests';
import type { CompiledRule } from '../pipeline/detect/load';
import { checkJson, cliMibDirs, configMibDirs, formatCheck, formatLookup, lookupJson } from './commands/mib';
import { loadMibs } from '../pipeline/snmp/mib/load';
import { registerDecoderCommands } from './commands/decoders';
import { registerAlertCommands } from './commands/alerts';
import { registerApiCommands } from './commands/api';

/** Exit codes: 0 success, 1 the command ran and found a problem, 2 usage or configuration error. */
const EXIT_PROBLEM = 1;
const EXIT_USAGE = 2;

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return n;
}

/**
 * Loads rules for a `rules` command: mapping profiles as the worker finds them (--mappings, else
 * the config's worker.mappingsPath, else the project's rules/mappings), named on stderr.
 */
function rulesFor(paths: string[], cmd: Command, mappings?: string): ValidatedSet {
  const cwd = process.cwd();
  const set = validateRules(paths, cwd, mappings, mappings === undefined ? configFileFor(cwd, cmd.optsWithGlobals<{ config?: string }>().config) : null);
  process.stderr.write(`${mappingsNote(set.mappings, cwd)}\n`);
  return set;
}

function config(cmd: Command): LoadedConfig {
  const opts = cmd.optsWithGlobals<{ config?: string }>();
  return loadConfig({ file: opts.config });
}

export function buildProgram(): Command {
  const program = new Command('haetae')
    .description('haetae — syslog and SNMP traps into Kafka, Sigma-style rules, Elasticsearch, alerts through a job queue.')
    .version('0.1.0')
    .option('-c, --config <file>', 'config file (default: $HAETAE_CONFIG, else ./haetae.yaml if present, else built-in defaults)')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `
Examples:
  haetae run all                          receiver + worker + notifier + API in one process
  haetae search 'message:hello*' --since 5m
  haetae rules validate rules/
  haetae rules test rules/
  haetae rules match rules/linux events.jsonl --json
  haetae rules replay rules/ events.jsonl --json
  haetae rules import-sigma ../sigma/rules/linux
  haetae rules explain 4f1c8a52-2a7e-4b0e-9d43-6d9b3c1f7a01 '<38>Nov 22 10:00:00 web1 sshd[811]: Failed password for root'
  haetae decoders test decoders/
  haetae mib lookup 1.3.6.1.2.1.2.2.1.8.3
  haetae notify failed

Environment overrides: HAETAE_KAFKA_BROKERS, HAETAE_ELASTICSEARCH_URL, HAETAE_REDIS_URL,
HAETAE_WEBHOOK_URL, HAETAE_WEBHOOK_SECRET, HAETAE_LOG_LEVEL. Every config key, its default and
meaning: schemas/config.schema.json (haetae.yaml in this repository is a worked example).`);

  program
    .command('run')
    .description('run pipeline roles until interrupted (SIGINT/SIGTERM drain in-flight batches first)')
    .addArgument(new Command().createArgument('[role]', 'receiver | worker | notifier | api | all').choices(['receiver', 'worker', 'notifier', 'api', 'all']).default('all'))
    .option('--no-http', 'do not serve /metrics, /healthz and /readyz')
    .addHelpText('after', `
Roles:
  receiver   syslog listeners (UDP/TCP, port 5514 by default) → Kafka topic haetae.raw
  worker     Kafka consumer group: parse, normalize, detect → Elasticsearch; alerts → job queue
  notifier   job queue → webhook (HMAC-signed), with retries and a failed list
  api        HTTP API on api.host:api.port (127.0.0.1:8080): alerts, their changes and
             notifications under /api/v1, OpenAPI at /openapi.json (docs/api.md)
  all        all four in one process (the default; what npm start runs)`)
    .action(async (role: string, opts: { http: boolean }, cmd: Command) => {
      const loaded = config(cmd);
      const roles: Role[] = role === 'all' ? [...ALL_ROLES] : [role as Role];
      const running = await runRoles(loaded, roles, { http: opts.http });
      if (running.receiver) {
        for (const l of running.receiver.listeners) {
          process.stdout.write(`haetae: listening for syslog on ${l.spec.transport}://${l.address.address}:${l.address.port}\n`);
        }
      }
      if (running.httpPort !== undefined) process.stdout.write(`haetae: metrics on http://${loaded.config.http.host}:${running.httpPort}/metrics\n`);
      if (running.api) process.stdout.write(`haetae: API on http://${loaded.config.api.host}:${running.api.port}/api/v1 (OpenAPI at /openapi.json)\n`);
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) {
          running.logger.warn(`Second ${signal}: exiting now.`);
          process.exit(130);
        }
        stopping = true;
        running.stop().then(() => process.exit(0), (err: unknown) => {
          running.logger.error(`Shutdown failed: ${messageOf(err)}`);
          process.exit(1);
        });
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });

  program
    .command('search')
    .description('search indexed events with a Lucene query, newest first')
    .argument('<query>', "Lucene query_string, e.g. 'message:hello*' or 'host.hostname:fw1 AND log.syslog.severity.code:<4'; a bare word searches message")
    .option('--since <when>', 'only events after this: a duration back from now (30s, 15m, 2h, 7d) or a date', '15m')
    .option('--until <when>', 'only events before this (same forms as --since)')
    .option('-n, --limit <n>', 'how many events at most', positiveInt, 50)
    .option('--json', 'one JSON document per line (the stored event) instead of a table')
    .option('--index <name>', 'data streams or indices to search, comma-separated, wildcards allowed (default: every events data stream, one per dataset family, e.g. logs-haetae.*-default)')
    .action(async (query: string, opts: { since: string; until?: string; limit: number; json?: boolean; index?: string }, cmd: Command) => {
      const { config: cfg } = config(cmd);
      const es = createEsClient(cfg.elasticsearch);
      try {
        const { total, hits } = await searchEvents(es, { query, since: opts.since, until: opts.until, limit: opts.limit, index: opts.index ?? eventStreams(cfg.elasticsearch.eventsDataStream).searchTarget });
        if (opts.json) {
          for (const h of hits) process.stdout.write(`${JSON.stringify({ _id: h.id, ...h.source })}\n`);
        } else {
          if (hits.length > 0) process.stdout.write(`${formatTable(hits, process.stdout.columns ?? 160)}\n`);
          process.stderr.write(`${hits.length} of ${total} matching event${total === 1 ? '' : 's'} since ${opts.since}${total > hits.length ? ` (use --limit to see more)` : ''}\n`);
        }
      } finally {
        await es.close();
      }
    });

  program
    .command('parse')
    .description('run messages through parse → normalize → vendor decoders → enrichment exactly as the worker does, offline; one event per input line')
    .argument('[file]', "one message per line, with or without a syslog header ('-' or none: stdin)", '-')
    .option('--json', 'print each event as the JSON document the worker would index (one per line)')
    .option('--sender <ip>', 'the address the messages are taken to come from (log.source.address; decoders selected by sender network see it)', '127.0.0.1')
    .option('--decoders <paths...>', "decoder files or directories instead of the config's worker.decodersPath")
    .option('--no-enrich', "skip enrichment even when the config has an enrich: section")
    .addHelpText('after', `
Each input line is wrapped as if a receiver got it over UDP from --sender just now, then goes
through the worker's own stages. Lines whose records belong to one event (auditd) are merged into
the first line's event; the later lines print as "merged into". A summary (lines decoded per
decoder, decoder failures, lines no decoder claimed) goes to stderr.

Examples:
  echo 'Failed password for root from 203.0.113.7 port 4242 ssh2' | haetae parse    (a bare sshd line is fine)
  haetae parse /var/log/auth.log --json | jq -c '{src: .source.ip, user: .user.name}'
  haetae parse asa.log --sender 10.0.0.1 --json | haetae rules match rules/ -`)
    .action(async (file: string, opts: { json?: boolean; sender: string; decoders?: string[]; enrich: boolean }, cmd: Command) => {
      const loaded = config(cmd);
      const summary = await parseLines(loaded, file, { ...opts, decoders: opts.decoders?.map((p) => path.resolve(p)) }, (text) => process.stdout.write(`${text}\n`));
      for (const p of summary.problems) process.stderr.write(`decoder not loaded: ${p}\n`);
      process.stderr.write(`${formatParseSummary(summary)}\n`);
    });

  const rules = program.command('rules').description('work with detection rules');
  rules
    .command('validate')
    .description('check rule files: YAML, the rule schema, selections, modifiers and conditions; problems print as file:line:col')
    .argument('[paths...]', 'rule files or directories', ['rules'])
    .option('--json', 'print problems as JSON')
    .option('--mappings <dir>', "field-mapping profiles ('none': field names as written; default: the config's worker.mappingsPath, else the project's rules/mappings)", undefined)
    .action((paths: string[], opts: { json?: boolean; mappings?: string }, cmd: Command) => {
      const set = rulesFor(paths, cmd, opts.mappings);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ valid: set.problems.length === 0, rules: set.rules.map((r) => ({ id: r.id, title: r.title, file: r.file })), problems: set.problems, warnings: set.warnings, mappings: set.mappings.dir })}\n`);
      } else {
        process.stdout.write(`${reportText(set, process.cwd(), true)}\n`);
      }
      if (set.problems.length > 0) process.exitCode = EXIT_PROBLEM;
    });

  rules
    .command('test')
    .description("run the rules' inline test cases (tests: in each rule file) offline; exit 1 when a case fails")
    .argument('[paths...]', 'rule files or directories', ['rules'])
    .option('--json', 'print every case as JSON')
    .option('--mappings <dir>', "field-mapping profiles ('none': field names as written; default: the config's worker.mappingsPath, else the project's rules/mappings)", undefined)
    .action((paths: string[], opts: { json?: boolean; mappings?: string }, cmd: Command) => {
      const set = rulesFor(paths, cmd, opts.mappings);
      const report = runRuleTests(set);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ...report, problems: set.problems })}\n`);
      } else {
        if (set.problems.length > 0) process.stdout.write(`${reportText(set, process.cwd())}\n`);
        process.stdout.write(`${formatRuleTestReport(report, (f) => displayPath(f, process.cwd()))}\n`);
      }
      if (report.failed > 0 || set.problems.length > 0) process.exitCode = EXIT_PROBLEM;
    });
  rules
    .command('match')
    .description('evaluate single-event rules against ECS events (one JSON object per line) offline; prints per event whether each rule matched')
    .argument('<rule-file>', 'rule file or directory')
    .argument('<events>', "events, one per line: ECS events as JSON, or raw syslog lines (with or without <PRI>); '-' for standard input")
    .option('--json', 'one JSON object per line: {"index":N,"rule":"<id>","matched":true|false}')
    .option('--mappings <dir>', "field-mapping profiles ('none': field names as written; default: the config's worker.mappingsPath, else the project's rules/mappings)", undefined)
    .action(async (ruleFile: string, events: string, opts: { json?: boolean; mappings?: string }, cmd: Command) => {
      const set = rulesFor([ruleFile], cmd, opts.mappings);
      if (set.problems.length > 0) {
        process.stderr.write(`${reportText(set, process.cwd())}\n`);
        process.exitCode = EXIT_PROBLEM;
        return;
      }
      let matched = 0;
      const count = await matchEvents(set.rules, events, (r) => {
        if (r.matched) matched++;
        process.stdout.write(opts.json ? `${JSON.stringify(r)}\n` : `${r.index}\t${r.rule}\t${r.matched ? 'match' : 'no match'}\n`);
      });
      if (!opts.json) process.stderr.write(`${count} event${count === 1 ? '' : 's'}, ${set.rules.length} rule${set.rules.length === 1 ? '' : 's'}, ${matched} match${matched === 1 ? '' : 'es'}\n`);
    });

  rules
    .command('replay')
    .description('run detections, correlations and absence rules over events in event-time order, offline, and print the alerts that would fire (group-by and throttle as the worker applies them; recovered-by, folding into alerts still open, channels and delivery are not simulated)')
    .argument('<rules-path>', 'rule file or directory (detection, correlation and filter rules)')
    .argument('<events>', "events, one per line: ECS events as JSON with @timestamp, or raw syslog lines (with or without <PRI>); '-' for standard input")
    .option('--json', 'one JSON object per alert: rule id, kind (detection, correlation, absence), groupBy, windowStart, windowEnd, eventCount')
    .option('--lateness <duration>', 'how late an event may be and still count (the input is sorted, so rarely needed)', '0s')
    .option('--mappings <dir>', "field-mapping profiles ('none': field names as written; default: the config's worker.mappingsPath, else the project's rules/mappings)", undefined)
    .action(async (rulesPath: string, events: string, opts: { json?: boolean; lateness: string; mappings?: string }, cmd: Command) => {
      const lateness = parseDuration(opts.lateness);
      if (lateness === null) throw new HaetaeError('HAETAE_USAGE', [`--lateness '${opts.lateness}' is not a duration like 30s or 5m`]);
      const set = rulesFor([rulesPath], cmd, opts.mappings);
      if (set.problems.length > 0) {
        process.stderr.write(`${reportText(set, process.cwd())}\n`);
        process.exitCode = EXIT_PROBLEM;
        return;
      }
      const summary = await replay(set, events, { allowedLatenessMs: lateness }, (a) => {
        process.stdout.write(opts.json ? `${JSON.stringify(a)}\n` : `${formatReplayAlert(a)}\n`);
      });
      if (!opts.json) {
        const extra = [summary.throttled > 0 ? `${summary.throttled} more matches inside throttle periods (recorded on those alerts, not notified)` : '', summary.unparsed > 0 ? `${summary.unparsed} lines did not parse as syslog` : ''].filter(Boolean);
        process.stderr.write(`${summary.events} events, ${set.rules.length} detection rules, ${set.correlations.length} correlation rules: ${summary.alerts} alerts${extra.length > 0 ? `; ${extra.join('; ')}` : ''}\n(group-by and throttle applied as the worker does, in event time; ${REPLAY_LEAVES_OUT})\n`);
      }
    });

  rules
    .command('import-sigma')
    .description('load a directory of SigmaHQ rules under the mapping profiles and report how many compile, which can fire on today\'s events, and why the rest do not')
    .argument('<dir>', 'a SigmaHQ checkout or any directory of Sigma rules')
    .option('--profiles <dir>', "field-mapping profiles (default: the config's worker.mappingsPath, else the project's rules/mappings)")
    .option('--json', 'the report as JSON')
    .action((dir: string, opts: { profiles?: string; json?: boolean }, cmd: Command) => {
      const root = path.resolve(dir);
      if (!fs.existsSync(root)) throw new HaetaeError('HAETAE_USAGE', [`no such directory: ${root}`]);
      const cwd = process.cwd();
      const choice = chooseMappings(cwd, opts.profiles, opts.profiles === undefined ? configFileFor(cwd, cmd.optsWithGlobals<{ config?: string }>().config) : null);
      process.stderr.write(`${mappingsNote(choice, cwd)}\n`);
      const report = importSigma(root, { profilesDir: choice.dir ?? '(none)', ...(choice.dir ? {} : { profiles: [] }), validate: compileValidators().rule });
      process.stdout.write(`${opts.json ? importReportJson(report) : formatImportReport(report)}\n`);
      if (report.profileProblems.length > 0) process.exitCode = EXIT_PROBLEM;
    });

  rules
    .command('explain')
    .description('show why an event does or does not match a rule, selection by selection, after the event the rule saw')
    .argument('<rule>', 'a rule or correlation id, name or title (looked up under --rules), or a rule file holding one rule')
    .argument('<event>', "an ECS event as JSON, a raw syslog line with or without <PRI> (parsed as the worker would), or '-' for standard input")
    .option('--rules <path>', "where to look the rule up (repeatable; default: rules)", collect, [])
    .option('--json', 'print the explanation as JSON')
    .option('--mappings <dir>', "field-mapping profiles ('none': field names as written; default: the config's worker.mappingsPath, else the project's rules/mappings)", undefined)
    .action(async (ruleArg: string, eventArg: string, opts: { rules: string[]; json?: boolean; mappings?: string }, cmd: Command) => {
      const where = opts.rules.length > 0 ? opts.rules : ['rules'];
      const fromFile = fs.existsSync(ruleArg) && fs.statSync(ruleArg).isFile();
      const set = rulesFor(fromFile ? [ruleArg] : where, cmd, opts.mappings);
      const byRef = (ref: string): CompiledRule | undefined => set.rules.find((r) => r.id === ref || r.source.name === ref);
      let rules: CompiledRule[];
      let header: string | null = null;
      const correlation = fromFile ? (set.rules.length === 0 && set.correlations.length === 1 ? set.correlations[0] : undefined)
        : set.correlations.find((c) => c.key === ruleArg || c.id === ruleArg || c.name === ruleArg || c.title === ruleArg);
      const single = fromFile ? (set.rules.length === 1 ? set.rules[0] : undefined) : set.rules.find((r) => r.id === ruleArg || r.title === ruleArg || r.source.name === ruleArg);
      if (single) {
        rules = [single];
      } else if (correlation) {
        rules = correlation.rules.map(byRef).filter((r): r is CompiledRule => r !== undefined);
        header = `correlation ${correlation.key} "${correlation.title}": ${correlation.type} of ${correlation.rules.join(', ')} by ${correlation.groupBy.join(', ')} within ${correlation.timespan.spec}.\n`
          + 'One event cannot fire a correlation; below, each rule it counts against this event (for a timeline: tests: in the file and `rules test`, or `rules replay`).\n';
      } else {
        const why = fromFile ? `${ruleArg} holds ${set.rules.length} valid rules; explain needs exactly one (or give a rule id)` : `no valid rule or correlation with id, name or title '${ruleArg}' under ${where.join(', ')}`;
        throw new HaetaeError('HAETAE_USAGE', [why]);
      }
      const text = eventArg === '-' ? fs.readFileSync(0, 'utf8') : eventArg;
      const event = eventFromArgument(text);
      const views = rules.map((rule) => ({ rule, view: explainRule(rule, event) }));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(correlation && !single ? { correlation: correlation.key, rules: views.map((v) => v.view) } : views[0]!.view)}\n`);
      } else {
        if (header) process.stdout.write(`${header}\n`);
        process.stdout.write(`${views.map(({ rule, view }) => formatExplain({ ...view, rule: { ...view.rule, file: displayPath(view.rule.file, process.cwd()) } }, rule.source)).join('\n\n')}\n`);
      }
      if (!views.some((v) => v.view.matched)) process.exitCode = EXIT_PROBLEM;
    });

  registerDecoderCommands(program);

  const mib = program.command('mib').description('look up SNMP MIB objects and check MIB directories (base MIBs from net-snmp + snmp.mibs of the config + --mibs)');
  mib
    .command('lookup')
    .description('translate a numeric OID (longest match, the rest is the index), MODULE::name or a bare name, and show what the MIB says about it')
    .argument('<query>', "e.g. 1.3.6.1.2.1.2.2.1.8.3, IF-MIB::ifOperStatus, ifOperStatus, IF-MIB::linkDown")
    .option('--mibs <dir>', 'an extra MIB directory (repeatable); searched before the config\'s snmp.mibs and the base MIBs', collect, [])
    .option('--json', 'print the matches as JSON: [{oid, index, module, name, kind, syntax: {base, tc, enums, displayHint}, units, objects, description, file, line}]')
    .addHelpText('after', `
Loads the base MIBs shipped with net-snmp (SNMPv2-SMI/TC/CONF/MIB, IF-MIB, IANAifType-MIB, RFC1213-MIB, …),
then the directories of snmp.mibs in the config in use (relative to the config file) and --mibs.
Prints OID, name, module, kind, type and textual convention, enums, units, objects of a notification,
and the description. A bare name defined in several modules lists them all (best first).
Exit codes: 0 found, 1 not found.

Examples:
  haetae mib lookup 1.3.6.1.6.3.1.1.5.3           IF-MIB::linkDown
  haetae mib lookup 1.3.6.1.2.1.2.2.1.8.3         IF-MIB::ifOperStatus, index 3
  haetae mib lookup --mibs ./mibs CISCO-CONFIG-MAN-MIB::ciscoConfigManEvent --json`)
    .action((query: string, opts: { mibs: string[]; json?: boolean }, cmd: Command) => {
      const dirs = [...cliMibDirs(opts.mibs), ...configMibDirs(cmd.optsWithGlobals<{ config?: string }>().config)];
      const store = loadMibs({ dirs });
      const res = store.lookup(query);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(res.matches.map(lookupJson))}\n`);
      } else {
        if (res.note) process.stderr.write(`note: ${res.note}\n`);
        for (const m of res.matches) process.stdout.write(`${formatLookup(m)}\n`);
      }
      if (res.matches.length === 0) {
        process.stderr.write(`haetae: ${query}: not found in ${store.report.total} MIB modules (add MIB directories with --mibs or snmp.mibs)\n`);
        process.exitCode = EXIT_PROBLEM;
      }
    });
  mib
    .command('check')
    .description('parse every MIB in the directories (plus the base MIBs and the config\'s snmp.mibs) and report each module that fails, with file, line and reason, and missing imports')
    .argument('<dirs...>', 'MIB directories (searched recursively; IMPORTS are resolved across all of them)')
    .option('--json', 'print {loaded, total, oids, parseMs, problems: [{module, file, status, errors, missingImports, unresolved, warnings}], files}')
    .addHelpText('after', `
A module is FAILED when its text does not parse (each error with file:line), PARTIAL when it
parses but imports from a module that is not loaded, or some definitions cannot be given an
OID; the definitions that resolve are still used by the pipeline. Ends with
"N of M modules loaded". Exit codes: 0 all loaded, 1 some module failed or is partial.

Example:
  haetae mib check /usr/share/snmp/mibs ./vendor-mibs`)
    .action((dirs: string[], opts: { json?: boolean }, cmd: Command) => {
      const all = [...cliMibDirs(dirs), ...configMibDirs(cmd.optsWithGlobals<{ config?: string }>().config)];
      const store = loadMibs({ dirs: [...new Set(all)] });
      process.stdout.write(`${opts.json ? JSON.stringify(checkJson(store)) : formatCheck(store)}\n`);
      if (store.report.loaded < store.report.total) process.exitCode = EXIT_PROBLEM;
    });

  registerAlertCommands(program, config, positiveInt, EXIT_PROBLEM);
  registerApiCommands(program);

  const notify = program.command('notify').description('inspect, retry and drop notification jobs that failed for good (the dead-letter list)');
  /** Opens the notification queue of the config for one command and closes it afterwards. */
  const withQueue = async (cmd: Command, fn: (queue: ReturnType<typeof createNotificationQueue>) => Promise<void>): Promise<void> => {
    const queue = createNotificationQueue(queueSettings(config(cmd).config));
    try {
      await fn(queue);
    } finally {
      await queue.close();
    }
  };
  const listCommand = (parent: Command, name: string, noun: (n: number) => string): void => {
    parent
      .command(name)
      .description('list notification jobs that failed for good (after all retries, or a permanent error), with their reason, code and cause')
      .option('-n, --limit <n>', 'how many at most', positiveInt, 50)
      .option('--json', 'one JSON object per line')
      .action((opts: { limit: number; json?: boolean }, cmd: Command) => withQueue(cmd, async (queue) => {
        const { total, jobs } = await listFailed(queue, opts.limit);
        for (const j of jobs) process.stdout.write(`${opts.json ? JSON.stringify(j) : formatFailedJob(j)}\n`);
        if (!opts.json) process.stderr.write(`${total} ${noun(total)}\n`);
      }));
  };
  const actCommand = (parent: Command, name: 'retry' | 'drop', what: string, act: typeof retryFailed, done: string): void => {
    parent
      .command(name)
      .description(what)
      .argument('[ids...]', 'job ids (from `haetae notify failed` / `notify dlq list`)')
      .option('--all', 'every job in the failed (dead-letter) list')
      .action(async (ids: string[], opts: { all?: boolean }, cmd: Command) => {
        if (!opts.all && ids.length === 0) throw new HaetaeError('HAETAE_USAGE', ['give job ids or --all']);
        await withQueue(cmd, async (queue) => {
          const jobs = await act(queue, opts.all ? 'all' : ids);
          process.stdout.write(`${done} ${jobs.length} job${jobs.length === 1 ? '' : 's'}\n`);
        });
      });
  };
  listCommand(notify, 'failed', (n) => `failed notification job${n === 1 ? '' : 's'}`);
  actCommand(notify, 'retry', 'send failed notification jobs again', retryFailed, 'retrying');
  // The failed list is the notifications' dead-letter list: `notify dlq` names it so.
  const dlq = notify.command('dlq').description("the dead-letter list: notifications that failed for good (the same list as 'notify failed')");
  listCommand(dlq, 'list', (n) => `dead-lettered notification${n === 1 ? '' : 's'}`);
  actCommand(dlq, 'retry', 'send them again (back to the queue)', retryFailed, 'retrying');
  actCommand(dlq, 'drop', 'remove them for good', dropFailed, 'dropped');
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `haetae rules match … | head -1`: the reader is gone, so is the point of writing; exit quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof HaetaeError) {
      process.stderr.write(`haetae: ${err.message} [${err.code}]\n`);
      process.exit(err.kind === 'config' || err.kind === 'usage' ? EXIT_USAGE : EXIT_PROBLEM);
    }
    process.stderr.write(`haetae: ${messageOf(err)}\n`);
    process.exit(EXIT_PROBLEM);
  }
}

/**
 * kafkajs 2.2.4 passes negative delays to setTimeout in its request queue; Node ≥ 23 warns
 * (TimeoutNegativeWarning) and clamps them to 1 ms, which is what older Node did silently. The
 * warning says nothing actionable to a user, so only that one is filtered; all others print.
 */
function filterKnownWarnings(): void {
  process.removeAllListeners('warning');
  process.on('warning', (w) => {
    if (w.name === 'TimeoutNegativeWarning') return;
    process.stderr.write(`(node) ${w.name}: ${w.message}\n`);
  });
}

if (require.main === module) {
  filterKnownWarnings();
  void main(process.argv);
}
