// Dependency rules (docs/architecture.md, "The shape to grow into"): imports point down, never in a
// circle. `npm run deps` fails on any violation.
//
//   api/, workers/, scripts/, bench/  ->  workflows/ -> contract/ -> domain/
//                                         activities/ -> store/, adapters/ -> domain/
//   platform/ (codec, logging, telemetry) -> config/, domain/, contract/
//   config/ -> domain/ and npm packages only
//
// Type-only imports are seen too (tsPreCompilationDeps), so a type cycle is a cycle; where a type-only
// import is fine the rule says so with dependencyTypesNot: ['type-only'].
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle means two modules are one; split out what both need.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'domain/ is the business rules: zod and itself, nothing else (no I/O, no Temporal, no node built-ins).',
      from: { path: '^domain/' },
      to: { pathNot: ['^domain/', '^node_modules/zod/'] },
    },
    {
      name: 'workflows-no-io',
      severity: 'error',
      comment:
        'Workflow code is deterministic and sandboxed: it reaches I/O only through activities, never by importing an I/O layer.',
      from: { path: '^workflows/' },
      to: { path: '^(store|adapters|api|workers|prisma|scripts|config|platform|bench)/' },
    },
    {
      name: 'workflows-import-pure-domain-modules',
      severity: 'error',
      comment:
        'Every cached workflow loads each module of the workflow bundle into its own context (docs/operations.md, "Worker cache"): workflow code and the contract it shares import the pure domain modules they run, never the domain index (it re-exports the validation schemas), a *.schema.ts module, zod, or the pricing engine, analytics and notice templates (docs/decisions/098-lean-workflow-bundle.md; test/workers/workflow-bundle.test.ts checks the built bundle).',
      from: { path: '^(workflows|contract)/' },
      to: {
        path: [
          '^domain/index\\.ts$',
          '\\.schema\\.ts$',
          '^node_modules/zod/',
          '^domain/(pricing/(engine|rules|coupons|catalog|index)|analytics|notices/)',
        ],
      },
    },
    {
      name: 'zod-only-in-schema-modules',
      severity: 'error',
      comment:
        'Validation schemas live in domain/<x>.schema.ts beside the pure module whose plain types they check, so a pure module never brings zod into the workflow bundle (docs/decisions/098-lean-workflow-bundle.md). pricing/rules.ts, which no workflow imports, still derives PromotionRule from its schema.',
      from: {
        path: '^domain/',
        pathNot: ['\\.schema\\.ts$', '^domain/pricing/rules\\.ts$'],
      },
      to: { path: '^node_modules/zod/' },
    },
    {
      name: 'workflows-only-activity-types',
      severity: 'error',
      comment: 'Workflows need the activity signatures (type-only imports), never the activity code.',
      from: { path: '^workflows/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'contract-only-domain-and-temporal',
      severity: 'error',
      comment:
        'contract/ (ids, signals, updates, queries, start options, failures) is shared by API, activities and workflows: domain/ and the Temporal workflow/common packages only.',
      from: { path: '^contract/' },
      to: { pathNot: ['^contract/', '^domain/', '^node_modules/@temporalio/(workflow|common)/'] },
    },
    {
      name: 'api-not-activities-or-workers',
      severity: 'error',
      comment: 'The API reaches the database through store/ and shared infrastructure through platform/.',
      from: { path: '^api/' },
      to: { path: '^(activities|workers)/' },
    },
    {
      name: 'activities-not-workflows',
      severity: 'error',
      comment: 'Activities share ids, signals and start options with workflows through contract/.',
      from: { path: '^activities/' },
      to: { path: '^workflows/' },
    },
    {
      name: 'store-below-its-users',
      severity: 'error',
      comment: 'store/ serves the API and activities; it imports neither, nor workflows or workers.',
      from: { path: '^store/' },
      to: { path: '^(api|activities|workflows|workers|scripts|bench)/' },
    },
    {
      name: 'adapters-below-activities',
      severity: 'error',
      comment: 'Provider adapters are called by activities and wired by processes; they import neither.',
      from: { path: '^adapters/' },
      to: { path: '^(api|activities|workflows|workers|scripts|bench)/' },
    },
    {
      name: 'config-imports-nothing-above',
      severity: 'error',
      comment: 'Configuration is read by every process: domain/ and npm packages only.',
      from: { path: '^config/' },
      to: { pathNot: ['^config/', '^domain/', '^node_modules/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'platform-only-config-domain-contract',
      severity: 'error',
      comment:
        'platform/ (codec, logging, telemetry) is used by the API and workers alike; it imports only config/, domain/, contract/ and npm packages.',
      from: { path: '^platform/' },
      to: {
        pathNot: ['^platform/', '^config/', '^domain/', '^contract/', '^node_modules/'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'engine-not-tooling',
      severity: 'error',
      comment: 'The engine does not import its scripts, benchmark or tests.',
      from: { path: '^(domain|contract|workflows|activities|store|adapters|platform|config|api|workers|prisma)/' },
      to: { path: '^(scripts|bench|test)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing is a typo or a missing dependency.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Tests may reach into any layer; generated and runtime output is not ours.
    exclude: { path: '^(test|docs|prisma/migrations|\\.data|\\.tools|test-output|bench/results)/' },
    doNotFollow: { path: ['node_modules', '^prisma/generated/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
