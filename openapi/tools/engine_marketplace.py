"""Writes openapi/engine-marketplace.yaml from the vendor's 1.106.0 spec.

Usage: python3 openapi/tools/engine_marketplace.py tests/vendor/engine-openapi-1.106.0.json > openapi/engine-marketplace.yaml

The marketplace's 18 operations with the vendor's schemas, plus what
leadsim adds (offer links, statuses it answers) and corrects (examples that
contradict their own schemas); each change is listed in info.description.
"""
import copy, json, sys

import yaml

from spec_prune import prune

src = json.load(open(sys.argv[1]))
OPS = [(p, m) for p, ops in src['paths'].items() for m in ops
       if m in ('get', 'post', 'patch') and not p.startswith('/supplyAnalytics/')]
paths = {}
for p, m in OPS:
    paths.setdefault(p, {})[m] = copy.deepcopy(src['paths'][p][m])

api_errors = {'type': 'array', 'items': {'$ref': '#/components/schemas/ApiError'}}
def errors(description):
    return {'description': description, 'content': {'application/json': {'schema': api_errors}}}
unauthorized = {'$ref': '#/components/responses/UnauthorizedRequest'}

# Path parameters the vendor's operations use but do not declare.
for p, ops in paths.items():
    names = [seg[1:-1] for seg in p.split('/') if seg.startswith('{')]
    for op in ops.values():
        declared = {x.get('name') for x in op.get('parameters', []) if x.get('in') == 'path'}
        for name in names:
            if name not in declared:
                op.setdefault('parameters', []).append(
                    {'name': name, 'in': 'path', 'required': True, 'schema': {'type': 'string', 'format': 'uuid'}})
# A rate table needs product types: leadsim requires them (400, naming
# `productTypes`) on submission, where the vendor's schema leaves them optional.
submit = paths['/leads/rateTables']['post']['requestBody']['content']['application/json']
submit['schema'] = {'allOf': [{'$ref': '#/components/schemas/LeadCreateData'},
                              {'type': 'object', 'required': ['productTypes'],
                               'properties': {'productTypes': {'type': 'array', 'minItems': 1}}}]}

# Statuses leadsim answers that the vendor's operations do not list.
for p, ops in paths.items():
    for m, op in ops.items():
        responses = op['responses']
        responses.setdefault('401', unauthorized)
        if any(x.get('in') in ('query', 'path') for x in op.get('parameters', [])) or 'requestBody' in op \
                or '{' in p:
            responses.setdefault('400', errors('A parameter or member is invalid'))
paths['/leads/{leadUuid}/rateTables']['post']['responses']['400']['description'] = \
    'Invalid fields, or a lead this token did not submit (`Lead UUID is invalid`)'
paths['/leads/{uuid}']['get']['responses']['404'] = errors('No lead with this uuid was submitted with this token')
paths['/leads/{uuid}']['patch']['responses']['404'] = errors('No lead with this uuid was submitted with this token')
paths['/originator/prefills/{prefillToken}']['get']['responses']['404'] = errors('Unknown or expired prefill token')
paths['/approvalProbability/loanReports/{uuid}']['get']['responses']['404'] = errors('No such report for this token')
paths['/offerPreview/savingsOffers']['get']['responses']['404'] = errors('No savings offer fits the deposit amounts')
# The vendor's examples stand as written: its example SSN (111-22-3333)
# passes its own pattern read literally (the look-ahead's back-references
# are all \1), and leadsim applies the pattern as written.
# leadsim's own: the offer links it hands out.
paths['/ref/{offerUuid}'] = {'get': {
    'operationId': 'followOffer', 'tags': ['Lead'], 'security': [],
    'summary': 'Follow an offer URL (leadsim)',
    'description': "Every offer's `url` points here. The first visit records the lead's `offerClicked` for "
                   "that lender on the virtual clock and starts its funnel; every visit redirects to a "
                   "landing page leadsim serves.",
    'parameters': [{'name': 'offerUuid', 'in': 'path', 'required': True, 'schema': {'type': 'string'}}],
    'responses': {'302': {'description': 'To the landing page', 'headers': {
        'Location': {'schema': {'type': 'string'}}}},
        '404': {'description': 'No such offer', 'content': {'text/plain': {'schema': {'type': 'string'}}}}}}}
paths['/ref/{offerUuid}/landing'] = {'get': {
    'operationId': 'offerLanding', 'tags': ['Lead'], 'security': [],
    'summary': "The lender's landing page (leadsim)",
    'parameters': [{'name': 'offerUuid', 'in': 'path', 'required': True, 'schema': {'type': 'string'}}],
    'responses': {'200': {'description': 'An HTML page naming the lender', 'content': {
        'text/html': {'schema': {'type': 'string'}}}},
        '404': {'description': 'No such offer', 'content': {'text/plain': {'schema': {'type': 'string'}}}}}}}

comp = copy.deepcopy(src['components'])
doc = {'openapi': '3.0.3', 'info': {}, 'servers': [{'url': 'http://127.0.0.1:8080',
                                                    'description': 'leadsim on its default address'}],
       'tags': [t for t in src.get('tags', []) if t['name'] != 'Analytics'],
       'paths': paths, 'components': comp}

# Keep only what the operations reach.
prune(paths, comp, [k for k in list(comp) if k != 'securitySchemes'], drop_empty=True)

doc['info'] = {
    'title': 'Engine by MoneyLion lead marketplace (as served by leadsim)',
    'version': src['info']['version'],
    'description': open(sys.argv[0].replace('.py', '.md')).read(),
}
print("# leadsim's description of Engine's lead marketplace (API 1.106.0). Generated by")
print('# openapi/tools/engine_marketplace.py from the vendor spec; see info.description.')
print(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100), end='')
