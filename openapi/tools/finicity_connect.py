"""Writes openapi/finicity-connect.yaml from the vendor's 1.42.0 Data Connect excerpt.

Usage: python3 openapi/tools/finicity_connect.py tests/vendor/finicity-connect-openapi-1.42.0.yaml \
    openapi/finicity-connect.yaml openapi/tools/finicity_connect.md
"""
import copy
import sys

import yaml

from spec_prune import prune, strip_examples

src = yaml.safe_load(open(sys.argv[1]))
C = src['components']




paths = {p: strip_examples(copy.deepcopy(ops)) for p, ops in src['paths'].items()
         if not p.startswith('/notification-subscriptions')}
bad = {'$ref': '#/components/responses/BadRequestErrorResponse'}
missing = {'$ref': '#/components/responses/ResourceNotFoundErrorResponse'}
for p, ops in paths.items():
    for method, op in ops.items():
        responses = op['responses']
        responses.setdefault('400', bad)
        if p.startswith('/aggregation/'):
            responses.setdefault('404', missing)
        if p.startswith('/connect/'):
            responses.setdefault('404', missing)
        responses.pop('203', None)

html = {'text/html': {'schema': {'type': 'string'}}}
paths['/connect/experience'] = {'get': {
    'tags': ['Connect'], 'operationId': 'LeadsimConnectExperience', 'security': [],
    'summary': "leadsim's Connect experience (what a generated link opens)",
    'description': 'The current screen of the link named by `signature`, as HTML; a script on it speaks the '
                   'Connect Web SDK protocol (answers `ping` with `ack`; sends `route`, `user`, `done`, '
                   '`cancel`, `error`). An unknown or expired link is a page that says so.',
    'parameters': [{'name': 'signature', 'in': 'query', 'required': False, 'schema': {'type': 'string'}}],
    'responses': {'200': {'description': 'The screen', 'content': html}}}}
paths['/connect/experience']['post'] = {
    'tags': ['Connect'], 'operationId': 'LeadsimConnectStep', 'security': [],
    'summary': "One step of leadsim's Connect experience, as a plain form post",
    'parameters': [{'name': 'signature', 'in': 'query', 'required': False, 'schema': {'type': 'string'}}],
    'requestBody': {'content': {'application/x-www-form-urlencoded': {'schema': {
        'type': 'object',
        'properties': {
            'action': {'type': 'string', 'enum': ['search', 'institution', 'signin', 'mfa', 'accounts', 'back',
                                                  'submit', 'cancel', 'fail']},
            'query': {'type': 'string'}, 'institutionId': {'type': 'string'},
            'username': {'type': 'string'}, 'password': {'type': 'string'},
            'answer': {'type': 'string'}, 'accountId': {'type': 'string'}}}}}},
    'responses': {'200': {'description': 'The next screen', 'content': html}}}

S = copy.deepcopy(C['schemas'])
S['ErrorMessage']['properties']['code'] = {
    'description': S['ErrorMessage']['properties']['code'].get('description', ''),
    'anyOf': [{'type': 'string'}, {'type': 'integer'}], 'example': '10010'}
comp = {'schemas': S, 'parameters': C['parameters'], 'responses': strip_examples(C['responses']),
        'requestBodies': strip_examples(C['requestBodies']), 'securitySchemes': C['securitySchemes']}


# Keep only what the operations reach.
prune(paths, comp, ['schemas', 'parameters', 'responses', 'requestBodies'])
doc = {'openapi': '3.0.3',
       'info': {'title': 'Finicity Data Connect, accounts and transactions (as served by leadsim)',
                'version': '1.42.0-leadsim.1', 'description': open(sys.argv[3]).read()},
       'servers': [{'url': 'http://127.0.0.1:8080', 'description': 'leadsim on its default address'}],
       'security': src.get('security'), 'tags': [{'name': t} for t in ['Connect', 'Accounts', 'Transactions',
                                                                         'Institutions', 'Customers']],
       'paths': paths, 'components': comp}
header = ("# leadsim's description of Finicity Data Connect and the aggregation reads after it (spec 1.42.0).\n"
          "# Extracted from the vendor's excerpt by openapi/tools/finicity_connect.py; see info.description\n"
          "# for what leadsim changed.\n")
with open(sys.argv[2], 'w') as f:
    f.write(header)
    yaml.safe_dump(doc, f, sort_keys=False, width=100, allow_unicode=True)
