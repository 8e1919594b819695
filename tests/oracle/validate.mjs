// Backstage's own verdict on entity documents, for tests/catalog/test_descriptor_oracle.py.
//
// Input (stdin): JSON Lines, one entity document per line (any JSON value).
// Output (stdout): one JSON line per input line, in the same order:
//   {"valid": bool, "errors": [string], "refErrors": [string]}
// Each verdict is written as soon as its line is read, so one process can serve
// many batches (tests/catalog/test_differential_oracle.py keeps it open for every
// batch of a run) as well as one batch closed by end of input.
//
// "valid" is the judgement of @backstage/catalog-model (and the scaffolder's
// Template validator) in the order a stock catalog applies them
// (plugins/catalog-backend: ProcessorOutputCollector, CatalogBuilder.buildEntityPolicy,
// DefaultCatalogProcessingOrchestrator.runValidateStep, BuiltinKindsEntityProcessor):
//   1. a non-object root is an error ("Expected object at root"); a null document is
//      skipped by the YAML reader, so it yields no entity either;
//   2. the envelope schema (validateEntityEnvelope), then what the catalog's
//      ProcessorOutputCollector does to every emitted entity: falsy annotations
//      become {}, other non-objects are an error, managed-by annotations are set;
//   3. the default entity policies, combined with EntityPolicies.allOf in the catalog's
//      order: SchemaValid, DefaultNamespace, NoForeignRootFields, FieldFormat;
//   4. the full entity schema again (validateEntity), as the orchestrator does;
//   5. the kind validators: valid iff at least one returns true; one that throws
//      (a known kind/apiVersion with a bad spec) makes the document invalid.
//
// "refErrors" is separate and only filled for valid documents: the spec reference
// fields of the kind, each parsed with catalog-model's parseEntityRef the way the
// catalog backend's processors do when they emit relations (a ref that does not parse,
// e.g. `dependsOn: [foo]` without a kind, fails processing there, not validation).
// The reference fields come from catalog-model's own kind model (alpha export).
//
// The packages' ESM builds are meant for bundlers (extensionless lodash imports), so
// the CommonJS builds are loaded through createRequire.

import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

const require = createRequire(import.meta.url);
const catalogModel = require('@backstage/catalog-model');
const catalogModelAlpha = require('@backstage/catalog-model/alpha');
const scaffolderCommon = require('@backstage/plugin-scaffolder-common');

const {
  DefaultNamespaceEntityPolicy,
  EntityPolicies,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
  entityEnvelopeSchemaValidator,
  entitySchemaValidator,
  makeValidator,
  parseEntityRef,
} = catalogModel;

const validateEntityEnvelope = entityEnvelopeSchemaValidator();
// Where the collector says an entity was read (any url: location will do).
const COLLECTED_AT = 'https://git.example.com/acme/repo/blob/main/catalog-info.yaml';
const validateEntity = entitySchemaValidator();

const policy = EntityPolicies.allOf([
  new SchemaValidEntityPolicy(),
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(makeValidator()),
]);

// BuiltinKindsEntityProcessor's list, in its order, then the scaffolder's processor.
const builtinValidators = [
  catalogModel.apiEntityV1alpha1Validator,
  catalogModel.componentEntityV1alpha1Validator,
  catalogModel.resourceEntityV1alpha1Validator,
  catalogModel.groupEntityV1alpha1Validator,
  catalogModel.locationEntityV1alpha1Validator,
  catalogModel.userEntityV1alpha1Validator,
  catalogModel.systemEntityV1alpha1Validator,
  catalogModel.domainEntityV1alpha1Validator,
];
if (typeof scaffolderCommon.templateEntityV1beta3Validator?.check !== 'function') {
  throw new Error('@backstage/plugin-scaffolder-common does not export templateEntityV1beta3Validator');
}
const processorValidators = [builtinValidators, [scaffolderCommon.templateEntityV1beta3Validator]];
for (const validator of builtinValidators) {
  if (typeof validator?.check !== 'function') {
    throw new Error('@backstage/catalog-model is missing one of the built-in kind validators');
  }
}

const kindModel = catalogModelAlpha.compileCatalogModel([catalogModelAlpha.defaultCatalogEntityModel]);
// The scaffolder's entity-model module (not an npm dependency here) emits ownedBy
// from a Template's spec.owner, with Group as the default kind.
const TEMPLATE_REF_FIELDS = [{ path: 'spec.owner', defaultKind: 'Group', defaultNamespace: 'inherit' }];

function describe(error) {
  const parts = [];
  for (let e = error; e; e = e.cause) {
    parts.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    if (!(e instanceof Error)) break;
  }
  return parts.join(' <- ');
}

function refFields(entity) {
  if (entity.kind === 'Template') return TEMPLATE_REF_FIELDS;
  let kind;
  try {
    kind = kindModel.getKind({ kind: entity.kind, apiVersion: entity.apiVersion });
  } catch {
    // The model lists each kind under backstage.io/v1alpha1; v1beta1 is the same kind.
    kind = kindModel.getKind({ kind: entity.kind, apiVersion: 'backstage.io/v1alpha1' });
  }
  return kind?.relationFields ?? [];
}

function checkRefs(entity) {
  const errors = [];
  const namespace = entity.metadata.namespace ?? 'default';
  for (const field of refFields(entity)) {
    const [root, key] = field.path.split('.');
    const value = entity[root]?.[key];
    if (!value) continue; // doEmit's `if (!targets) return;`: 0 and false too
    for (const target of [value].flat()) {
      try {
        parseEntityRef(target, {
          defaultKind: field.defaultKind,
          defaultNamespace: field.defaultNamespace === 'default' ? 'default' : namespace,
        });
      } catch (e) {
        errors.push(`${field.path}: ${describe(e)}`);
      }
    }
  }
  return errors;
}

async function judge(document) {
  if (document === null) {
    return { valid: false, errors: ['empty document: skipped, no entity'], refErrors: [] };
  }
  if (typeof document !== 'object' || Array.isArray(document)) {
    const got = Array.isArray(document) ? 'array' : typeof document;
    return { valid: false, errors: [`Expected object at root, got ${got}`], refErrors: [] };
  }
  let entity = structuredClone(document);
  try {
    validateEntityEnvelope(entity);
  } catch (e) {
    return { valid: false, errors: [`envelope: ${describe(e)}`], refErrors: [] };
  }
  // ProcessorOutputCollector.receive: falsy annotations become {}; anything else
  // that is not an object is an error; the two managed-by annotations are the
  // catalog's, whatever the file says.
  const annotations = entity.metadata.annotations || {};
  if (typeof annotations !== 'object' || Array.isArray(annotations)) {
    return { valid: false, errors: ['collector: metadata.annotations must be a valid object'], refErrors: [] };
  }
  entity.metadata.annotations = {
    ...annotations,
    'backstage.io/managed-by-origin-location': `url:${COLLECTED_AT}`,
    'backstage.io/managed-by-location': `url:${COLLECTED_AT}`,
  };
  try {
    entity = await policy.enforce(entity);
    if (!entity) throw new Error('policy returned no entity');
  } catch (e) {
    return { valid: false, errors: [`policy: ${describe(e)}`], refErrors: [] };
  }
  try {
    validateEntity(entity);
  } catch (e) {
    return { valid: false, errors: [`entity schema: ${describe(e)}`], refErrors: [] };
  }
  let valid = false;
  for (const validators of processorValidators) {
    for (const validator of validators) {
      try {
        if (await validator.check(entity)) {
          valid = true;
          break;
        }
      } catch (e) {
        return { valid: false, errors: [`kind validator: ${describe(e)}`], refErrors: [] };
      }
    }
  }
  if (!valid) {
    return {
      valid: false,
      errors: [
        `No processor recognized the entity ${entity.kind}/${entity.apiVersion} as valid, ` +
          'possibly caused by a foreign kind or apiVersion',
      ],
      refErrors: [],
    };
  }
  return { valid: true, errors: [], refErrors: checkRefs(entity) };
}

let index = 0;
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  index += 1;
  let document;
  try {
    document = JSON.parse(line);
  } catch (e) {
    process.stderr.write(`line ${index} is not JSON: ${e.message}\n`);
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(await judge(document)) + '\n');
}
