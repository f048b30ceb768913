"""Writes openapi/finicity-decisioning.yaml from the vendor's 1.42.0 excerpt."""
import yaml, json, copy, sys

from spec_prune import prune, strip_examples
src = yaml.safe_load(open(sys.argv[1]))
C = src['components']
OPS = [
    ('/aggregation/v2/partners/authentication', 'post'),
    ('/aggregation/v2/customers/testing', 'post'),
    ('/business-services/customers/{customer_id}/businesses', 'post'),
    ('/business-services/customers/{customer_id}/businesses', 'get'),
    ('/decisioning/v1/customers/{customerId}/consumer', 'post'),
    ('/decisioning/v1/customers/{customerId}/consumer', 'get'),
    ('/decisioning/v2/customers/{customerId}/reports/balance-analytics/userTypes/{userType}', 'post'),
    ('/decisioning/v2/customers/{customerId}/reports/cashflow-analytics/userTypes/{userType}', 'post'),
    ('/decisioning/v3/customers/{customerId}/reports/{reportId}', 'get'),
    ('/decisioning/v1/customers/{customerId}/reports', 'get'),
]
paths = {}
for p, m in OPS:
    paths.setdefault(p, {})[m] = strip_examples(copy.deepcopy(src['paths'][p][m]))
S = copy.deepcopy(C['schemas'])
S['Report'] = {'description': 'A Balance or Cash Flow Analytics report', 'type': 'object',
    'required': S['Report']['required'],
    'anyOf': [{'$ref': '#/components/schemas/AFBalanceAnalyticsReport'}, {'$ref': '#/components/schemas/AFCashFlowAnalyticsReport'}]}
S['ReportInstitutionAccount'] = {'description': 'An account record', 'allOf': [{'$ref': '#/components/schemas/AnalyticsReportsAccount'}]}
S['BaseReportAck']['properties']['constraints'] = {'$ref': '#/components/schemas/AnalyticsReportConstraintsOut'}
S['ErrorMessage']['properties']['code'] = {'description': S['ErrorMessage']['properties']['code']['description'],
    'anyOf': [{'type': 'string'}, {'type': 'integer'}], 'example': '10001'}
comp = {'schemas': S, 'parameters': C['parameters'], 'responses': strip_examples(C['responses']),
        'requestBodies': strip_examples(C['requestBodies']), 'securitySchemes': C['securitySchemes']}
# leadsim's additions: 400 for invalid business fields and 406 for an Accept it cannot serve.
bad = {'$ref': '#/components/responses/BadRequestErrorResponse'}
paths['/business-services/customers/{customer_id}/businesses']['post']['responses']['400'] = bad
paths['/business-services/customers/{customer_id}/businesses']['get']['responses']['400'] = bad
for p, m in [('/business-services/customers/{customer_id}/businesses', 'post'), ('/business-services/customers/{customer_id}/businesses', 'get')]:
    paths[p][m]['responses']['401'] = {'$ref': '#/components/responses/UnauthorizedErrorResponse'}
# The vendor's 404 for an unknown partner declares `ErrorWrapper` while its
# own example (and leadsim) send an `ErrorMessage`.
paths['/aggregation/v2/partners/authentication']['post']['responses']['404'] = {
    'description': 'No partner has this partner ID',
    'content': {'application/json': {'schema': {'$ref': '#/components/schemas/ErrorMessage'},
                                     'example': {'code': 12401, 'message': 'partner not found'}}}}
rep = paths['/decisioning/v3/customers/{customerId}/reports/{reportId}']['get']
rep['responses']['200'] = {'description': 'The report: minimal while `inProgress` or after `failure`, whole after `success`; a PDF with `Accept: application/pdf` once it succeeded',
    'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Report'}},
                'application/pdf': {'schema': {'type': 'string', 'format': 'binary'}}}}
rep['responses']['406'] = {'description': '`Accept` allows neither JSON nor PDF',
    'content': {'application/json': {'schema': {'$ref': '#/components/schemas/ErrorMessage'}}}}
doc = {'openapi': '3.0.3', 'info': {}, 'servers': [{'url': 'http://127.0.0.1:8080', 'description': 'leadsim on its default address'}],
       'security': src.get('security'), 'paths': paths, 'components': comp}
# Keep only what the operations reach.
prune(paths, comp, ['schemas', 'parameters', 'responses', 'requestBodies'])
doc['info'] = {'title': 'Finicity Balance Analytics, the /decisioning flow (as served by leadsim)', 'version': '1.42.0-leadsim.1',
  'description': open(sys.argv[3]).read()}
header = "# leadsim's description of Finicity's current Balance Analytics flow (spec 1.42.0), served beside\n# the seed's /analytics flow (openapi/finicity.yaml). Extracted from the vendor's excerpt by\n# openapi/tools/finicity_decisioning.py; see info.description for what leadsim changed.\n"
with open(sys.argv[2], 'w') as f:
    f.write(header)
    yaml.safe_dump(doc, f, sort_keys=False, width=100, allow_unicode=True)
