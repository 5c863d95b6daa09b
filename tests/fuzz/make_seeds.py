#!/usr/bin/env python3
"""make_seeds.py - (re)build the seed corpora of the provider fuzz targets
(adapters, lro, arm_error, token, live) from real response bodies:

  - the armspec examples (/work/shared/reference/armspec/examples, or the
    directory given as the first argument): every response body of every
    example, routed to the adapter that reads that resource type;
  - armsim answers captured once into tests/fuzz/seedsrc/ (bodies *.json and
    raw HTTP answers *.http: status line, headers, body);
  - golden live-state fixtures (tests/golden/cases/*/live.json, small ones).

Existing files with other names (regression inputs found by fuzzing) are
left alone. Run from anywhere: python3 tests/fuzz/make_seeds.py [EXAMPLES]
"""
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLES = sys.argv[1] if len(sys.argv) > 1 else '/work/shared/reference/armspec/examples'
SRC = os.path.join(HERE, 'seedsrc')
CORPUS = os.path.join(HERE, 'corpus')

# fuzz_adapters.c: fuzz__parsers[byte % 11]
ADAPTERS = ['cluster', 'workspace', 'vault', 'key', 'identity', 'kusto', 'role',
            'component', 'linked_storage', 'link', 'cloud']
# fuzz_lro.c tables
STATUSES = [200, 201, 202, 204, 400, 404, 409, 500]
METHODS = ['PUT', 'PATCH', 'DELETE', 'POST']


def adapter_byte(name):
    i = ADAPTERS.index(name)
    return bytes([88 + i])  # 88 % 11 == 0: 'X' cluster, 'Y' workspace, ...


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def adapter_for(path):
    p = path.lower()
    for key, name in [('linkedstorage', 'linked_storage'), ('linkedservice', 'link'),
                      ('kustocluster', 'kusto'), ('operationalinsights/2026-03-01/cluster', 'cluster'),
                      ('workspace', 'workspace'), ('identity', 'identity'),
                      ('keyvault.data-plane', 'key'), ('vault', 'vault'),
                      ('accesspolic', 'vault'), ('components', 'component')]:
        if key in p:
            return name
    return None


def parse_http(text):
    head, _, body = text.partition('\n\n')
    lines = head.split('\n')
    status = int(lines[0].split()[1])
    return status, [l for l in lines[1:] if ':' in l], body


def lro_seed(status, method, kind, final, headers, body):
    return (bytes([ord('0') + STATUSES.index(status), ord('P') + METHODS.index(method),
                   kind, final]) + '\n'.join(headers).encode() + b'\n\n' + body.encode())


def main():
    # -- armspec examples
    for path in sorted(glob.glob(os.path.join(EXAMPLES, '**', '*.json'), recursive=True)):
        rel = os.path.relpath(path, EXAMPLES)
        stem = rel.replace(os.sep, '_')[:-5]
        with open(path) as f:
            ex = json.load(f)
        for code, resp in ex.get('responses', {}).items():
            body = resp.get('body')
            if body is None:
                continue
            text = json.dumps(body)
            name = adapter_for(rel)
            if name:
                write('adapters', f'{name}-{stem}-{code}.json', adapter_byte(name) + text.encode())
            if 'status' in body or 'error' in body:
                # an operation status body and a failed call's body
                write('arm_error', f'{stem}-{code}.json',
                      (500).to_bytes(2, 'big') + b'https://management.azure.com/x?sig=s\n' + text.encode())
                write('lro', f'status-{stem}-{code}', lro_seed(200, 'PUT', 1, 1, [], text))
            if int(code) in STATUSES and name:
                write('lro', f'answer-{stem}-{code}',
                      lro_seed(int(code), 'PUT', 1, 1, ['Retry-After: 20'], text))
    # -- armsim captures
    routes = {'la-clusters': 'cluster', 'la-workspaces': 'workspace', 'vaults': 'vault',
              'components': 'component', 'roles': 'role', 'link': 'link', 'key': 'key',
              'metadata': 'cloud', 'sub': None}
    for path in sorted(glob.glob(os.path.join(SRC, '*'))):
        base = os.path.basename(path)
        stem = base.rsplit('.', 1)[0].replace('armsim-', '')
        with open(path) as f:
            text = f.read()
        if base.endswith('.http'):
            status, headers, body = parse_http(text)
            if status in STATUSES:
                for m in METHODS[:3]:
                    write('lro', f'armsim-{stem}-{m}', lro_seed(status, m, 1, 1, headers, body))
            if status >= 400:
                write('arm_error', f'armsim-{stem}',
                      status.to_bytes(2, 'big') + b'https://localhost:8443/a/b?c=d\n' + body.encode())
            continue
        if stem.startswith('tok-'):
            write('token', f'armsim-{stem}.json', text.encode())
            if 'error' in text:
                write('arm_error', f'armsim-{stem}',
                      (400).to_bytes(2, 'big') + b'https://login.example/t/oauth2/v2.0/token\n'
                      + text.encode())
            continue
        if 'err' in stem:
            code = 404 if '404' in stem else 400
            write('arm_error', f'armsim-{stem}',
                  code.to_bytes(2, 'big') + b'https://localhost:8443/subscriptions/s?api-version=1\n'
                  + text.encode())
            continue
        name = routes.get(stem)
        if name:
            write('adapters', f'{name}-armsim-{stem}.json', adapter_byte(name) + text.encode())
    # -- hand-written shapes the docs describe and the examples lack
    jwt = 'eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJhcm1zaW0ifQ.c2lnbmF0dXJl'
    tokens = {
        'aad-v2': {'token_type': 'Bearer', 'expires_in': 3599, 'access_token': jwt},
        'imds-strings': {'access_token': jwt, 'expires_in': '3599', 'expires_on': '1795003599',
                         'resource': 'https://management.azure.com/', 'token_type': 'Bearer'},
        'appservice-2019': {'access_token': jwt, 'expires_on': '1795003599',
                            'resource': 'https://vault.azure.net', 'token_type': 'Bearer',
                            'client_id': 'c3c3c3c3-0000-4000-8000-00000000c0de'},
        'msi-2017': {'access_token': jwt, 'expires_on': '11/18/2026 08:06:40 PM +00:00',
                     'resource': 'https://management.azure.com/', 'token_type': 'Bearer'},
        'azure-cli': {'accessToken': jwt, 'expiresOn': '2026-11-18 21:29:01.000000',
                      'expires_on': 1795003599, 'subscription': 's', 'tenant': 't',
                      'tokenType': 'Bearer'},
        'azure-cli-old': {'accessToken': jwt, 'expiresOn': '2026-11-18 21:29:01.000000',
                          'tokenType': 'Bearer'},
        'expired': {'access_token': jwt, 'expires_in': 0},
        'aad-error': {'error': 'invalid_client', 'error_description': 'AADSTS7000215'},
    }
    for name, doc in tokens.items():
        write('token', f'{name}.json', json.dumps(doc).encode())
    write('adapters', 'cloud-azurecloud.json', adapter_byte('cloud') + json.dumps({
        'name': 'AzureCloud', 'resourceManager': 'https://management.azure.com/',
        'authentication': {'loginEndpoint': 'https://login.microsoftonline.com/',
                           'audiences': ['https://management.core.windows.net/',
                                         'https://management.azure.com/']},
        'suffixes': {'keyVaultDns': 'vault.azure.net'}}).encode())
    write('adapters', 'cloud-list.json', adapter_byte('cloud') + json.dumps([{
        'name': 'AzureUSGovernment', 'resourceManager': 'https://management.usgovcloudapi.net/',
        'authentication': {'loginEndpoint': 'https://login.microsoftonline.us',
                           'audiences': ['https://management.usgovcloudapi.net/']},
        'suffixes': {'keyVaultDns': '.vault.usgovcloudapi.net'}}]).encode())
    write('lro', 'saved-operation', lro_seed(202, 'PUT', 1, 1, [], json.dumps({
        'version': 1, 'kind': 'cluster.create', 'method': 'PUT',
        'resourceId': '/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/clusters/c',
        'resourceUrl': '/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/clusters/c',
        'apiVersion': '2026-03-01', 'asyncOperation': 'https://management.azure.com/op?api-version=1',
        'location': 'https://management.azure.com/loc', 'pollMode': 'async-operation',
        'finalStateVia': 'location', 'startedAt': '2026-11-23T16:40:00.123Z',
        'timeoutSeconds': 21600, 'lastStatus': 'InProgress'})))
    write('lro', 'retry-after-date', lro_seed(202, 'DELETE', 4, 0, [
        'Location: https://management.azure.com/loc', 'Retry-After: Thu, 19 Nov 2026 07:31:31 GMT',
        'Date: Thu, 19 Nov 2026 07:30:31 GMT'], ''))
    errors = {
        'details-additional-info': (400, {'error': {
            'code': 'InvalidParameter', 'message': 'Capacity is locked for 30 days',
            'target': 'sku.capacity',
            'details': [{'code': 'CapacityLocked', 'message': 'until 2026-12-01', 'target': 'sku'}, 7],
            'additionalInfo': [{'type': 'PolicyViolation', 'info': {'policy': 'p'}}]}}),
        'keyvault-innererror': (403, {'error': {'code': 'Forbidden', 'message': 'Access denied',
                                                'innererror': {'code': 'AccessDenied'}}}),
        'busy-400': (400, {'error': {'code': 'Conflict', 'message':
                                     'Operation cannot be executed now, cluster is updating'}}),
        'operation-error': (0, {'code': 'KeyVaultAccessDenied', 'message': 'no unwrapKey'}),
    }
    for name, (code, doc) in errors.items():
        write('arm_error', name, code.to_bytes(2, 'big')
              + b'https://management.azure.com/subscriptions/s/x?api-version=1&sig=secret#frag\n'
              + json.dumps(doc).encode())
    write('arm_error', 'html-502', (502).to_bytes(2, 'big') + b'/subscriptions/s\n'
          + b'<html><body>Bad Gateway \x00\xff\xc3\xa9</body></html>')
    write('arm_error', 'truncated-json', (500).to_bytes(2, 'big') + b'\n{"error":{"code":"Int')
    write('arm_error', 'empty-body', (503).to_bytes(2, 'big') + b'https://h/p\n')
    # -- live-state fixtures
    for path in sorted(glob.glob(os.path.join(ROOT, 'tests', 'golden', 'cases', '*', 'live.json'))):
        if os.path.getsize(path) <= 8192:
            with open(path, 'rb') as f:
                write('live', os.path.basename(os.path.dirname(path)) + '.json', f.read())


if __name__ == '__main__':
    main()
