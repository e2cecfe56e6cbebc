// @ts-check
// typescript-eslint's recommended rules with type information, and no-floating-promises as an error
// as Temporal's samples have it: a promise nobody awaits is a step that may never run, or run after
// the workflow thinks it is done. Rules off below are the ones that only report noise here.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'prisma/generated/',
      '.data/',
      '.tools/',
      'test-output/',
      'bench/results/',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Interfaces and frameworks expect promises (Fastify handlers, Temporal payload codecs and
      // activities) from functions that happen to have nothing to await.
      '@typescript-eslint/require-await': 'off',
      // Activity factories and test helpers return objects of functions that are destructured and
      // called unbound by design (a Worker registers activities that way); none of them uses `this`.
      '@typescript-eslint/unbound-method': 'off',
      // Its "the receiver accepts the original type" check contradicts tsc on Prisma's JSON inputs
      // (removing `as object` there breaks the build) and on String(value as string).
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // A leading underscore names what is left out on purpose (`const { secret: _s, ...rest } = x`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },
  {
    // Tests and the benchmark read HTTP and Temporal responses as untyped JSON on purpose.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Workflows stay readable in one screen per function (docs/architecture.md): the order's story,
    // its run and each step are small files; the limits fail the build rather than drift.
    files: ['workflows/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }],
    },
  },
);
