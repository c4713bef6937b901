"""A labelled corpus for secret masking: what people paste into chats, each case with the exact substrings
that must be masked (none for a look-alike) and its kind.

Written by hand: prose and code in Python, JS/TS, Go, Java, Ruby, shell, PHP and C#, and config formats
(.env, YAML, JSON, TOML, INI, Docker/compose, Kubernetes, connection strings, curl). Every secret below has
the real shape but was made up for this file (none is or was a working credential). The documented examples
(AWS's ``AKIAIOSFODNN7EXAMPLE``, jwt.io's token) are the vendors' own, published as examples.

``SECRET_KINDS`` are the kinds whose recall must be 100 %; the others are look-alikes that must stay as
written. ``tests/search/test_redact_corpus.py`` measures precision and recall over it.
"""

from __future__ import annotations

from typing import NamedTuple


class Case(NamedTuple):
    kind: str
    text: str
    secrets: tuple[str, ...] = ()


def secret(kind: str, text: str, *secrets: str) -> Case:
    assert secrets and all(s in text for s in secrets), (kind, text)
    return Case(kind, text, secrets)


def harmless(kind: str, text: str) -> Case:
    return Case(kind, text)


SECRET_KINDS = frozenset(
    {
        "openai-key",
        "anthropic-key",
        "github-token",
        "aws-key-id",
        "aws-secret-key",
        "google-api-key",
        "slack-token",
        "stripe-key",
        "jwt",
        "private-key",
        "bearer-token",
        "basic-auth",
        "password",
        "api-secret",
        "url-password",
    }
)

_RSA_BODY = (
    "MIIEowIBAAKCAQEAUvImZaYMEtKJGF2VDuiBNgkWb2sRPReNbA/TkB/yOaGglfIPk5Vl\n"
    "JIoekk6P0K4uGpSSozBfGIy2EJAPnjR/rohtxlB3lex0XEw/yy6yxz4Uk0yGfuBX\n"
    "unJJm/oSHoNrKsFXJu59awr2qxPDjpLK4NFQV7FZmH+UzHQR1xfxRXmyqhAPu7NP\n"
    "pZP+rtJySLdi46tYBfB2WiucHX4PN8RJIb0/ZWTq338UKnJmjEfiI9Fu3YxHtGr8"
)
_RSA = f"-----BEGIN RSA PRIVATE KEY-----\n{_RSA_BODY}\n-----END RSA PRIVATE KEY-----"
_EC = (
    "-----BEGIN EC PRIVATE KEY-----\n"
    "    MHcCAQEEIW67iYfU7JhUtJjuoOwN81JYuQ0gBJWuIXpyQUfMgsNuD856nrb0NdOb\n"
    "    ex/PfrsyPZGVmZBp7omYPMBH8NXApHFeZDRoAkSaJGfJdnQYS3zWdYCaiQPRYml15\n"
    "    -----END EC PRIVATE KEY-----"
)
_PKCS8_JSON = (
    "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7pZP+rtJySLdi46tYBfB2"
    "\\nWiucHX4PN8RJIb0/ZWTq338UKnJmjEfiI9Fu3YxHtGr8unJJm/oSHoNrKsFXJu59awr2qx\\n-----END PRIVATE KEY-----"
)
_OPENSSH = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACDx2jIclHkCiHp6bR1IqfEouHgxzNNAL5wIScGebcy8FwAAAJjK1Mj4\n"
    "-----END OPENSSH PRIVATE KEY-----"
)
_PGP = (
    "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n"
    "lQOYBGXk3RwBCAC7pZP+rtJySLdi46tYBfB2WiucHX4PN8RJIb0/ZWTq338UKnJm\n"
    "jEfiI9Fu3YxHtGr8unJJm/oSHoNrKsFXJu59awr2qxPDjpLK4NFQV7FZmH+UzHQR\n"
    "=Xk3R\n"
    "-----END PGP PRIVATE KEY BLOCK-----"
)
_JWT = (
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0"
    ".eyJzdWIiOiJhdXRoMHw2NGYxYzIiLCJhdWQiOiJhcGkiLCJleHAiOjE3MzU2ODk2MDAsInNjb3BlIjoicmVhZDphbGwifQ"
    ".777pzNk8cL6j5IXAAjlsHUqJoUD_-Ydua-5ZMs1SWOpQaPRYpzbLGViYXjU2JgJngKtFI3OyV2dZAkg05rK-gq"
)
_JWT2 = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJ1c2VyX2lkIjo0MiwiZXhwIjoxNzE3MDAwMDAwfQ.v81RKMGHZEM9YpvujA_C5Q52ryFlwRlOEVHzc0X0AWI"
)
_JWT_IO = (  # the example on jwt.io and in countless tutorials
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
_SESSION = (
    "IQoJb3JpZ2luX2VjEHwaCXVzLWVhc3QtMSJHMEUCIQD4Wy4AVWEVeUeApzM/gcYBF0PRFiRmlgpkBUxNoTsVlfWH2sAnqOS3yOGYY8"
    "NTuPx+Jki5nqQlC9PVt+SDoG27s8+BI+iGwIGR1dDNBNOvlczktq70saQ6FQcKIqNc9Rpg1XOODKAEoIiuPn1DAHTMEb/ugOWJF6i"
)

CASES: list[Case] = [
    # -- OpenAI --------------------------------------------------------------------------------------------
    secret(
        "openai-key",
        "Here's my key sk-w0MZOqSCJNViCRUCIlsmlHwqxDqMrz4iKFJpKp4mSxieBPO9 - why does every request 401?",
        "sk-w0MZOqSCJNViCRUCIlsmlHwqxDqMrz4iKFJpKp4mSxieBPO9",
    ),
    secret(
        "openai-key",
        'from openai import OpenAI\n\nclient = OpenAI(\n    api_key="sk-proj-qsR6RZ24lPoQj3oPUlieI2nVsbBi1RMar1jf3YZ4'
        'Zq0CVB8iT3BlbkFJY4qw2oF5WJKBQx4BOuPh",\n)',
        "sk-proj-qsR6RZ24lPoQj3oPUlieI2nVsbBi1RMar1jf3YZ4Zq0CVB8iT3BlbkFJY4qw2oF5WJKBQx4BOuPh",
    ),
    secret(
        "openai-key",
        "# .env\nOPENAI_API_KEY=sk-DyaUB73cojFZS1COqkUAV3q4WZwmT2OxHTQi5TMpUFn3NcLS\nOPENAI_ORG=org-acme",
        "sk-DyaUB73cojFZS1COqkUAV3q4WZwmT2OxHTQi5TMpUFn3NcLS",
    ),
    secret(
        "openai-key",
        "const openai = new OpenAI({ apiKey: 'sk-LcwLUKvlsmkYRJh5okeBPMJZIScC0vPfHaithAt6rKMSe8EH' });",
        "sk-LcwLUKvlsmkYRJh5okeBPMJZIScC0vPfHaithAt6rKMSe8EH",
    ),
    secret(
        "openai-key",
        'curl https://api.openai.com/v1/models \\\n  -H "Authorization: Bearer '
        'sk-x21cauvjFJIH0EoQnsZcyGT6kVjqBR02nqBLpwXpLsBnPwBc"',
        "sk-x21cauvjFJIH0EoQnsZcyGT6kVjqBR02nqBLpwXpLsBnPwBc",
    ),
    secret(
        "openai-key",
        'export OPENAI_API_KEY="sk-svcacct-uzDfeWcM6aPXtmCEJyvdsHB8ij3dhx0knttMyscw"',
        "sk-svcacct-uzDfeWcM6aPXtmCEJyvdsHB8ij3dhx0knttMyscw",
    ),
    secret(
        "openai-key",
        '{\n  "openai": {\n    "admin_key": "sk-admin-igxFCL4LBcwIsi9Zduk54IVi5a5p63RjfE7xewqZ",\n'
        '    "org": "org-acme"\n  }\n}',
        "sk-admin-igxFCL4LBcwIsi9Zduk54IVi5a5p63RjfE7xewqZ",
    ),
    secret(
        "openai-key",
        'package main\n\nfunc main() {\n\tclient := openai.NewClient("sk-LcwLUKvlsmkYRJh5okeBPMJZIScC0vPfHaithAt6'
        'rKMSe8EH")\n}',
        "sk-LcwLUKvlsmkYRJh5okeBPMJZIScC0vPfHaithAt6rKMSe8EH",
    ),
    # -- Anthropic -----------------------------------------------------------------------------------------
    secret(
        "anthropic-key",
        'import anthropic\nclient = anthropic.Anthropic(api_key="sk-ant-api03-BgEE4yYggorVYMtMHlVgdvbnIlQ2uLfomNZX8'
        'XItt5MadHJQCFV1u90Ht77yW8yde9wqnarNk_hB2dcsMtg2GCAA")',
        "sk-ant-api03-BgEE4yYggorVYMtMHlVgdvbnIlQ2uLfomNZX8XItt5MadHJQCFV1u90Ht77yW8yde9wqnarNk_hB2dcsMtg2GCAA",
    ),
    secret(
        "anthropic-key",
        "curl https://api.anthropic.com/v1/messages \\\n  -H 'x-api-key: sk-ant-api03--cmFOb5RCg2EbmVs7TrSDKlGrqwn"
        "hsd7TW_0i4JRWpAPWj91Md5X09hkGBasPMA3LbAloqiXBOucuxghD3w0k-AA' \\\n  -H 'anthropic-version: 2023-06-01'",
        "sk-ant-api03--cmFOb5RCg2EbmVs7TrSDKlGrqwnhsd7TW_0i4JRWpAPWj91Md5X09hkGBasPMA3LbAloqiXBOucuxghD3w0k-AA",
    ),
    secret(
        "anthropic-key",
        '[anthropic]\nmodel = "claude-sonnet-4"\napi_key = "sk-ant-api03-togSgwl2N1MFHK1KJBmkugpGtCNmn_4nf1r9D9QUpa-'
        'lmI5b1rarFSt23cTUQSynsuv2h3p-0AtWcYYR2ZKkFZAA"',
        "sk-ant-api03-togSgwl2N1MFHK1KJBmkugpGtCNmn_4nf1r9D9QUpa-lmI5b1rarFSt23cTUQSynsuv2h3p-0AtWcYYR2ZKkFZAA",
    ),
    secret(
        "anthropic-key",
        "I rotated it but the old one was sk-ant-api03-vg74n5sfydE3f_I2fSy6Zu4A3YhYZCy2Aeec5YZq6l_-5kbh-wEod1A79e1"
        "fzJ_tstcwiLv8y_aFi7oiiXwyhdAA, is it still valid?",
        "sk-ant-api03-vg74n5sfydE3f_I2fSy6Zu4A3YhYZCy2Aeec5YZq6l_-5kbh-wEod1A79e1fzJ_tstcwiLv8y_aFi7oiiXwyhdAA",
    ),
    secret(
        "anthropic-key",
        'const anthropic = new Anthropic({\n  apiKey: "sk-ant-api03-BgEE4yYggorVYMtMHlVgdvbnIlQ2uLfomNZX8XItt5Mad'
        'HJQCFV1u90Ht77yW8yde9wqnarNk_hB2dcsMtg2GCAA",\n});',
        "sk-ant-api03-BgEE4yYggorVYMtMHlVgdvbnIlQ2uLfomNZX8XItt5MadHJQCFV1u90Ht77yW8yde9wqnarNk_hB2dcsMtg2GCAA",
    ),
    # -- GitHub --------------------------------------------------------------------------------------------
    secret(
        "github-token",
        "git remote set-url origin https://ghp_yNnU4CRZvjCOMOXl4i1pLH8YSTYKSeGUBGZk@github.com/acme/api.git",
        "ghp_yNnU4CRZvjCOMOXl4i1pLH8YSTYKSeGUBGZk",
    ),
    secret(
        "github-token",  # the token as the user of a URL: one mask, not a mask inside a mask
        "git clone https://ghp_yNnU4CRZvjCOMOXl4i1pLH8YSTYKSeGUBGZk:x-oauth-basic@github.com/acme/api.git",
        "ghp_yNnU4CRZvjCOMOXl4i1pLH8YSTYKSeGUBGZk",
    ),
    secret(
        "github-token",
        '{"access_token": "gho_zNApXtsCXWagWCDpTQZ0lqbUXD9nJrMI6ZTM", "token_type": "bearer", "scope": "repo"}',
        "gho_zNApXtsCXWagWCDpTQZ0lqbUXD9nJrMI6ZTM",
    ),
    secret(
        "github-token",
        "    steps:\n      - uses: actions/checkout@v4\n        with:\n"
        "          token: ghs_5aQY6LiBvpCbSzrgic4vCbe25eh7xfNWQX5l",
        "ghs_5aQY6LiBvpCbSzrgic4vCbe25eh7xfNWQX5l",
    ),
    secret(
        "github-token",
        'token := "ghu_VKF4KDKTaDGTb9NvJV9wf4AWA253fMn8vjhK"\nclient := github.NewClient(nil).WithAuthToken(token)',
        "ghu_VKF4KDKTaDGTb9NvJV9wf4AWA253fMn8vjhK",
    ),
    secret(
        "github-token",
        'client = Octokit::Client.new(access_token: "ghr_jeyLsRFsVZQA0mFmgKIytcetCmEaRdBHeENt")',
        "ghr_jeyLsRFsVZQA0mFmgKIytcetCmEaRdBHeENt",
    ),
    secret(
        "github-token",
        "gh auth login --with-token <<< github_pat_11NHUAT4BK7VCS1A1I1DXJ_kWxX5Rypt3UGEnbgukdposwY5M1z1HOsaaV6mW8q6e"
        "JUUpigA3zC0suJqeS",
        "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",
    ),
    # -- AWS -----------------------------------------------------------------------------------------------
    secret(
        "aws-key-id",
        "[default]\naws_access_key_id = AKIA3SO3H6PGENHVNKFW\naws_secret_access_key = ibcn1EwA6xQn3kp2Zg5LiNGAo9j7e"
        "L4vU/zH71OI\nregion = eu-west-1",
        "AKIA3SO3H6PGENHVNKFW",
        "ibcn1EwA6xQn3kp2Zg5LiNGAo9j7eL4vU/zH71OI",
    ),
    secret(
        "aws-key-id",
        "export AWS_ACCESS_KEY_ID=AKIAZPMUHFU252YZEX2L\nexport AWS_SECRET_ACCESS_KEY=WtPek+A2LS2AXg90bQJNj2kgNEAj4cq"
        "7+Aabnxeq",
        "AKIAZPMUHFU252YZEX2L",
        "WtPek+A2LS2AXg90bQJNj2kgNEAj4cq7+Aabnxeq",
    ),
    secret(
        "aws-key-id",
        's3 = boto3.client(\n    "s3",\n    aws_access_key_id="AKIAQSY6EJEWAVW22YKG",\n'
        '    aws_secret_access_key="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",\n)',
        "AKIAQSY6EJEWAVW22YKG",
        "LMe54mLXDeb+J9xsxndRdfIuJOXTDAKCPPjWwfqz",
    ),
    secret(
        "aws-secret-key",
        '{\n  "Credentials": {\n    "AccessKeyId": "ASIASXB6FLY53W2GBQLP",\n'
        '    "SecretAccessKey": "78GfkhjI8m8SG8dqPLwLXGS17ZvBiv7E2tsfPsRn",\n'
        f'    "SessionToken": "{_SESSION}",\n    "Expiration": "2025-06-01T12:00:00Z"\n  }}\n}}',
        "ASIASXB6FLY53W2GBQLP",
        "78GfkhjI8m8SG8dqPLwLXGS17ZvBiv7E2tsfPsRn",
        _SESSION,
    ),
    secret(
        "aws-secret-key",  # no name at all: the secret follows its key id
        'AWSCredentials creds = new BasicAWSCredentials("AKIANZGNHZ27NZER44AX", '
        '"5RUaAb1MXtGeg0CPuoho8wq0u2HBaf0C7E4JLA+h");',
        "AKIANZGNHZ27NZER44AX",
        "5RUaAb1MXtGeg0CPuoho8wq0u2HBaf0C7E4JLA+h",
    ),
    secret(
        "aws-secret-key",
        "services:\n  uploader:\n    image: acme/uploader:1.4\n    environment:\n"
        '      AWS_ACCESS_KEY_ID: "AKIAMS7RLXSVQLCUFJOQ"\n'
        '      AWS_SECRET_ACCESS_KEY: "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"',
        "AKIAMS7RLXSVQLCUFJOQ",
        "ibcn1EwA6xQn3kp2Zg5LiNGAo9j7eL4vU/zH71OI",
    ),
    secret(
        "aws-secret-key",
        'Aws::S3::Client.new(\n  access_key_id: "AKIA3SO3H6PGENHVNKFW",\n'
        '  secret_access_key: "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"\n)',
        "AKIA3SO3H6PGENHVNKFW",
        "WtPek+A2LS2AXg90bQJNj2kgNEAj4cq7+Aabnxeq",
    ),
    secret(
        "aws-key-id",
        "The console shows access key AKIAZPMUHFU252YZEX2L as last used 3 days ago.",
        "AKIAZPMUHFU252YZEX2L",
    ),
    # -- Google --------------------------------------------------------------------------------------------
    secret(
        "google-api-key",
        'const firebaseConfig = {\n  apiKey: "AIza0IoTP55EOqQDHyOXwRR7e7YVYp-fpm_mDfl",\n'
        '  authDomain: "acme-app.firebaseapp.com",\n  projectId: "acme-app-4312",\n};',
        "AIza0IoTP55EOqQDHyOXwRR7e7YVYp-fpm_mDfl",
    ),
    secret(
        "google-api-key",
        "https://maps.googleapis.com/maps/api/geocode/json?address=Paris&key=AIza6l62JpdBR_fNQpIwqZBqwwG_zOH5oTmUhEQ",
        "AIza6l62JpdBR_fNQpIwqZBqwwG_zOH5oTmUhEQ",
    ),
    secret(
        "google-api-key",
        "# local.properties\nsdk.dir=/Users/me/Library/Android/sdk\n"
        "MAPS_API_KEY=AIzaFdoRAdbKgoFwf4sQilXRBR1ugMTC_agq5nl",
        "AIzaFdoRAdbKgoFwf4sQilXRBR1ugMTC_agq5nl",
    ),
    secret(
        "google-api-key",
        'genai.configure(api_key="AIzajGAV98MtRqSm5n6oUg7-IcFGg997MDJfK6t")\n'
        'model = genai.GenerativeModel("gemini-pro")',
        "AIzajGAV98MtRqSm5n6oUg7-IcFGg997MDJfK6t",
    ),
    # -- Slack ---------------------------------------------------------------------------------------------
    secret(
        "slack-token",
        'from slack_sdk import WebClient\nclient = WebClient(token="xoxb-595930583238-1149831874942-AyMTyt10ihveqakJE'
        'MIhEn4G")',
        "xoxb-595930583238-1149831874942-AyMTyt10ihveqakJEMIhEn4G",
    ),
    secret(
        "slack-token",
        "slack:\n  user_token: xoxp-362532170657-438304820326-9577883748224-922548989fc41b2ebd49acac3e9ee700\n"
        "  channel: '#deploys'",
        "xoxp-362532170657-438304820326-9577883748224-922548989fc41b2ebd49acac3e9ee700",
    ),
    secret(
        "slack-token",
        "The bot stopped posting after I regenerated xoxb-595930583238-1149831874942-AyMTyt10ihveqakJEMIhEn4G, why?",
        "xoxb-595930583238-1149831874942-AyMTyt10ihveqakJEMIhEn4G",
    ),
    # -- Stripe --------------------------------------------------------------------------------------------
    secret(
        "stripe-key",
        "<?php\n\\Stripe\\Stripe::setApiKey('sk_live_A5LxHdXsp5ZLuv0RGlFA2bLv');\n$intent = \\Stripe\\PaymentIntent"
        "::create(['amount' => 2000, 'currency' => 'eur']);",
        "sk_live_A5LxHdXsp5ZLuv0RGlFA2bLv",
    ),
    secret(
        "stripe-key",
        "const stripe = require('stripe')('sk_live_PhSOkfxRCBMzHLionBv3fhX25tUcoGLNcenNqbMlLyIQk6G2Vy3ExvC37cSMCgZZL"
        "RheRc383tLWLYy2gdUPvzBLZg84sDvGXGC');",
        "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",
    ),
    secret(
        "stripe-key",
        "STRIPE_RESTRICTED_KEY=rk_live_VgR7LCGN6HM0d81yQirMXF7K\nSTRIPE_PUBLISHABLE_KEY=pk_live_51Hq0Example",
        "rk_live_VgR7LCGN6HM0d81yQirMXF7K",
    ),
    secret(
        "stripe-key",
        'Stripe.api_key = "sk_live_Mno72jwEbDjrSuz6Gi0HSZnr"',
        "sk_live_Mno72jwEbDjrSuz6Gi0HSZnr",
    ),
    # -- JWTs ----------------------------------------------------------------------------------------------
    secret("jwt", f'curl -H "Authorization: Bearer {_JWT}" https://api.acme.dev/v1/me', _JWT),
    secret("jwt", f"localStorage.setItem('session', '{_JWT2}');", _JWT2),
    secret("jwt", f"My id_token looks like {_JWT} - how do I read the exp claim?", _JWT),
    secret("jwt", f'{{"access_token": "{_JWT2}", "expires_in": 3600}}', _JWT2),
    # -- private keys --------------------------------------------------------------------------------------
    secret("private-key", f"Why does ssh say 'invalid format' for this key?\n\n{_RSA}\n", _RSA),
    secret("private-key", f"tls:\n  cert: /etc/ssl/app.crt\n  key: |\n    {_EC}", _EC),
    secret("private-key", f"{_OPENSSH}\n\nThat's id_ed25519, is the header right?", _OPENSSH),
    secret(
        "private-key",
        '{\n  "type": "service_account",\n  "project_id": "acme-prod",\n'
        f'  "private_key_id": "b37927b5f42b3b06b2d36eeb8a85fddba6554e2d",\n  "private_key": "{_PKCS8_JSON}\\n",\n'
        '  "client_email": "deploy@acme-prod.iam.gserviceaccount.com"\n}',
        _PKCS8_JSON,
    ),
    secret("private-key", f"gpg --import <<'EOF'\n{_PGP}\nEOF", _PGP),
    # -- bearer and basic authorization --------------------------------------------------------------------
    secret(
        "bearer-token",
        "GET /api/orders HTTP/1.1\nHost: shop.example.com\nAuthorization: Bearer 5fatdCS7lhUvausuzEO0VERJmo2ad\n",
        "5fatdCS7lhUvausuzEO0VERJmo2ad",
    ),
    secret(
        "bearer-token",
        'headers = {"Authorization": "Bearer Qrc5E7xbRPzEQx5L7Y0TTq90BlbdZJxBvu8szRi", "Accept": "application/json"}',
        "Qrc5E7xbRPzEQx5L7Y0TTq90BlbdZJxBvu8szRi",
    ),
    secret(
        "bearer-token",
        "fetch(url, { headers: { Authorization: 'Bearer LdaXAE6Cg7GpXPiS9elXjvlUIWwvoz' } })",
        "LdaXAE6Cg7GpXPiS9elXjvlUIWwvoz",
    ),
    secret(
        "bearer-token",
        'req.Header.Set("Authorization", "Bearer EEr0Zfsdez3HYPoQCHPxCUJgnoKgDqY9SpxWjGa")',
        "EEr0Zfsdez3HYPoQCHPxCUJgnoKgDqY9SpxWjGa",
    ),
    secret(
        "basic-auth",
        "curl -H 'Authorization: Basic ZGVwbG95OlRxOC12THcyLVpyNg==' https://ci.example.com/api/json",
        "ZGVwbG95OlRxOC12THcyLVpyNg==",
    ),
    secret(
        "basic-auth",
        "curl -u deploy:Tq8-vLw2-Zr6 https://ci.example.com/job/build/api/json",
        "Tq8-vLw2-Zr6",
    ),
    secret(
        "basic-auth",
        'curl --user "admin:Cu7l-Pa55w0rd" -X POST https://registry.example.com/v2/token',
        "Cu7l-Pa55w0rd",
    ),
    # -- passwords -----------------------------------------------------------------------------------------
    secret("password", "DB_HOST=db.internal\nDB_USER=app\nDB_PASSWORD=AmgkHTSX&B6er83E\n", "AmgkHTSX&B6er83E"),
    secret(
        "password",
        'conn = psycopg2.connect(host="db", user="app", password="fpdL@M6yCl3", dbname="shop")',
        "fpdL@M6yCl3",
    ),
    secret("password", "const password = 'JO%8*EVz!Phg';\nawait login(user, password);", "JO%8*EVz!Phg"),
    secret(
        "password",
        'cfg := mysql.Config{\n\tUser:   "app",\n\tPasswd: "ehXW4_%rV0b",\n\tNet:    "tcp",\n}',
        "ehXW4_%rV0b",
    ),
    secret(
        "password",
        'String url = "jdbc:mysql://db:3306/shop";\nString password = "Ii4%g_k8J22FvL";\n'
        'Connection c = DriverManager.getConnection(url, "app", password);',
        "Ii4%g_k8J22FvL",
    ),
    secret(
        "password",
        'var conn = new SqlConnection("Server=db.local;Database=shop;User Id=sa;Password=Ew6^xOAZRDhmj0e;");',
        "Ew6^xOAZRDhmj0e",
    ),
    secret(
        "password",
        "production:\n  adapter: postgresql\n  database: shop\n  username: shop\n  password: Tr0ub4dor&3\n",
        "Tr0ub4dor&3",
    ),
    secret(
        "password",
        "spring:\n  datasource:\n    url: jdbc:postgresql://db:5432/shop\n    username: shop\n"
        "    password: Sup3rS3cret!\n",
        "Sup3rS3cret!",
    ),
    secret(
        "password",
        'services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: "p0stgr3s-Pa55"\n',
        "p0stgr3s-Pa55",
    ),
    secret(
        "password",
        "  mysql:\n    image: mysql:8\n    environment:\n      - MYSQL_ROOT_PASSWORD=r00tPa$$w0rd\n"
        "      - MYSQL_DATABASE=shop",
        "r00tPa$$w0rd",
    ),
    secret(
        "password",
        'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\nstringData:\n  password: "Kub3rn3t3s!"\n',
        "Kub3rn3t3s!",
    ),
    secret(
        "password",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  username: c2hvcA==\n"
        "  password: S3ViM3JuM3Rlcy1QYXNz\n",
        "S3ViM3JuM3Rlcy1QYXNz",
    ),
    secret(
        "password",
        '        env:\n        - name: DB_PASSWORD\n          value: "v4lu3-fr0m-yaml"\n        - name: DB_HOST\n'
        '          value: "db"',
        "v4lu3-fr0m-yaml",
    ),
    secret("password", "[database]\nhost = db.internal\nuser = app\npassword = w1nt3r-iS-c0ming\n", "w1nt3r-iS-c0ming"),
    secret("password", '[database]\nhost = "db.internal"\npassword = "t0ml-p4ssw0rd"\n', "t0ml-p4ssw0rd"),
    secret(
        "password",
        "return [\n    'mysql' => [\n        'host' => '127.0.0.1',\n"
        "        'password' => 'laravel-S3cret',\n    ],\n];",
        "laravel-S3cret",
    ),
    secret("password", '<?php\n$password = "php-P4ss-2023";\n$pdo = new PDO($dsn, $user, $password);', "php-P4ss-2023"),
    secret(
        "password",
        '{\n  "ConnectionStrings": {\n    "Default": "Host=db;Database=shop;Username=app;Password=Np9-gR4e;"\n  }\n}',
        "Np9-gR4e",
    ),
    secret(
        "password",
        "spring.datasource.username=shop\nspring.datasource.password=J4va-Pr0ps\n",
        "J4va-Pr0ps",
    ),
    secret("password", '{"username": "admin", "password": "Adm1n-J50n!"}', "Adm1n-J50n!"),
    secret("password", "PGPASSWORD=pgP4ss-77 psql -h db.internal -U app shop", "pgP4ss-77"),
    secret("password", "docker login registry.example.com --password=Fl4g-Pa55w0rd --username ci", "Fl4g-Pa55w0rd"),
    secret("password", "mysqldump --user=root --password 'Dump-2024-x9' shop > shop.sql", "Dump-2024-x9"),
    secret(
        "password",
        "jdbc:postgresql://db:5432/shop?user=app&password=Jdbc-Pa55&ssl=true",
        "Jdbc-Pa55",
    ),
    secret("password", "I can't log in. My password: Gr33nT34!time and the username is maria.", "Gr33nT34!time"),
    secret("password", 'user = User.create!(email: "a@b.co", password: "rails-Secr3t-1")', "rails-Secr3t-1"),
    secret("password", 'export MYSQL_PWD="Pwd-Env-5512"\nmysql -u root shop', "Pwd-Env-5512"),
    secret("password", "DB_PASSWORD=correct-horse-battery", "correct-horse-battery"),
    secret("password", "WIFI_PASSWORD=correcthorsebattery", "correcthorsebattery"),
    secret(
        "password",
        'var builder = new NpgsqlConnectionStringBuilder { Host = "db", Password = "cSharp-Pa55-9" };',
        "cSharp-Pa55-9",
    ),
    secret("password", "passwd: 'Ans1ble-Vault!'\n", "Ans1ble-Vault!"),
    # -- other literal secrets: api keys, tokens, client secrets -------------------------------------------
    secret(
        "api-secret",
        f"# settings.py\nSECRET_KEY = '{'django-insecure-s@muezqp67o&g&3cga4o2xcsohdm#@mex6l2#q*ag^#_%wncxv'}'\n"
        "DEBUG = False",
        "django-insecure-s@muezqp67o&g&3cga4o2xcsohdm#@mex6l2#q*ag^#_%wncxv",
    ),
    secret("api-secret", 'app.secret_key = "b37927b5f42b3b06b2d36eeb8a85fddb"', "b37927b5f42b3b06b2d36eeb8a85fddb"),
    secret(
        "api-secret",
        '{"web": {"client_id": "1234-abc.apps.googleusercontent.com", "client_secret": "GOCSPX-po-799NksnRH9ucAUsdMl'
        'HUvTCQC"}}',
        "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",
    ),
    secret(
        "api-secret",
        "STRIPE_WEBHOOK_SECRET=whsec_NZYW2mZp0zVZomHFwUbbYrEqmSM9wCZ7",
        "whsec_NZYW2mZp0zVZomHFwUbbYrEqmSM9wCZ7",
    ),
    secret(
        "api-secret",
        "SENDGRID_API_KEY=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",
        "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",
    ),
    secret(
        "api-secret",
        "huggingface-cli login --token hf_ljENUhJduRHHJEYXg4JdpmrcXgGCJbW56e",
        "hf_ljENUhJduRHHJEYXg4JdpmrcXgGCJbW56e",
    ),
    secret(
        "api-secret",
        'TELEGRAM_BOT_TOKEN = "7198704650:AAzJ59FHz5r1pY4OjE2jBMptUsGr7CmY-uC"\nbot = Bot(TELEGRAM_BOT_TOKEN)',
        "7198704650:AAzJ59FHz5r1pY4OjE2jBMptUsGr7CmY-uC",
    ),
    secret(
        "api-secret",
        'const API_KEY = "EEr0Zfsdez3HYPoQCHPxCUJgnoKgDqY9SpxWjGa";\nfetch(`${BASE}/v1/items?key=${API_KEY}`);',
        "EEr0Zfsdez3HYPoQCHPxCUJgnoKgDqY9SpxWjGa",
    ),
    secret("api-secret", 'apiKey := "xsPJZXhwBSBzTnmGRlho9JfUPwVaJnrMxb5kD"', "xsPJZXhwBSBzTnmGRlho9JfUPwVaJnrMxb5kD"),
    secret(
        "api-secret",
        'public class Config {\n    private static final String API_KEY = "Jk9iEt0QMk1iNJi9oYrzobLwA2xrbXAFmnxQ2";\n}',
        "Jk9iEt0QMk1iNJi9oYrzobLwA2xrbXAFmnxQ2",
    ),
    secret(
        "api-secret",
        'client.DefaultRequestHeaders.Add("X-Api-Key", "SpOda2IHVive765GkJj5ObtggnjSahkJsYsz");',
        "SpOda2IHVive765GkJj5ObtggnjSahkJsYsz",
    ),
    secret(
        "api-secret", 'Geocoder.configure(api_key: "5fatdCS7lhUvausuzEO0VERJmo2ad")', "5fatdCS7lhUvausuzEO0VERJmo2ad"
    ),
    secret(
        "api-secret", "<?php\ndefine('API_SECRET', 'LdaXAE6Cg7GpXPiS9elXjvlUIWwvoz');", "LdaXAE6Cg7GpXPiS9elXjvlUIWwvoz"
    ),
    secret(
        "api-secret", "export GITLAB_TOKEN=glpat-u3ZR1zTOlUcR64cXQLio\nglab auth status", "glpat-u3ZR1zTOlUcR64cXQLio"
    ),
    secret(
        "api-secret",
        "monitoring:\n  datadog:\n    auth_token: 438a6fc906d9380c69491dbe1cd93b935604d716\n    site: datadoghq.eu",
        "438a6fc906d9380c69491dbe1cd93b935604d716",
    ),
    secret(
        "api-secret",
        "# ~/.npmrc\n//registry.npmjs.org/:_authToken=npm_6Yo4gfqrc5XlrWi0B26R08qzjI6GKFSufrdZ",
        "npm_6Yo4gfqrc5XlrWi0B26R08qzjI6GKFSufrdZ",
    ),
    secret(
        "api-secret",
        "[pypi]\nusername = __token__\n"
        "password = pypi-AgEIcHlwaS5vcmcx2jIclHkCiHp6bR1IqfEouHgxzNNAL5wIScGebcy8F5n3_YNBD",
        "pypi-AgEIcHlwaS5vcmcx2jIclHkCiHp6bR1IqfEouHgxzNNAL5wIScGebcy8F5n3_YNBD",
    ),
    secret(
        "api-secret",
        'refresh_token = "1//0ge7ihGyiRUIQfHOJMaidDn87XG3_q_xbMtEPO6UkzYuF0ie9Pu2njHkAm1_5wDr16EpLLJIVGHz4FxFEt"',
        "1//0ge7ihGyiRUIQfHOJMaidDn87XG3_q_xbMtEPO6UkzYuF0ie9Pu2njHkAm1_5wDr16EpLLJIVGHz4FxFEt",
    ),
    secret(
        "api-secret",
        "docker run -e API_TOKEN=dckr_pat_RzrZSgqbjG3uhkWKFLf6xuI5aHU -p 8080:8080 acme/api",
        "dckr_pat_RzrZSgqbjG3uhkWKFLf6xuI5aHU",
    ),
    secret(
        "api-secret",
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  apiKey: ba17c6fd0aed438ab4a9516c53ae5994c1450dc2\n",
        "ba17c6fd0aed438ab4a9516c53ae5994c1450dc2",
    ),
    secret(
        "api-secret",
        "HEROKU_API_KEY=fc2325a9-f8fd-d208-5434-8156f637a468 heroku apps",
        "fc2325a9-f8fd-d208-5434-8156f637a468",
    ),
    secret(
        "api-secret",
        'SECRET_KEY = os.environ.get("SECRET_KEY", "dev-9f3k2LmQ8xVt7wRz")',
        "dev-9f3k2LmQ8xVt7wRz",
    ),
    secret(
        "api-secret",
        'axios.get(url, { headers: { "x-api-key": "Jk9iEt0QMk1iNJi9oYrzobLwA2xrbXAFmnxQ2" } });',
        "Jk9iEt0QMk1iNJi9oYrzobLwA2xrbXAFmnxQ2",
    ),
    secret(
        "api-secret",
        'const token: string = "xsPJZXhwBSBzTnmGRlho9JfUPwVaJnrMxb5kD";',
        "xsPJZXhwBSBzTnmGRlho9JfUPwVaJnrMxb5kD",
    ),
    secret(
        "api-secret",
        'curl -X POST https://api.example.com/v2/jobs -H "X-Auth-Token: 14774c9eb511e79ad5de82635fb225b3"',
        "14774c9eb511e79ad5de82635fb225b3",
    ),
    secret(
        "api-secret",
        '[tool.poetry.http-basic.private]\nusername = "ci"\npassword = "tW9-Zp2Lq7-Rk4"\n',
        "tW9-Zp2Lq7-Rk4",
    ),
    # -- URL credentials -----------------------------------------------------------------------------------
    secret(
        "url-password",
        'MONGO_URI = "mongodb+srv://admin:hunter22xyz@cluster0.ab1cd.mongodb.net/app?retryWrites=true&w=majority"',
        "hunter22xyz",
    ),
    secret("url-password", "DATABASE_URL=postgres://app:Pg-9xQ2-rt@db.internal:5432/app", "Pg-9xQ2-rt"),
    secret(
        "url-password",
        'engine = create_engine("postgresql+psycopg2://scott:tiger123@localhost/test")',
        "tiger123",
    ),
    secret("url-password", "REDIS_URL=redis://:s3cretpass@localhost:6379/0", "s3cretpass"),
    secret("url-password", "const url = 'mysql://root:My5ql-R00t@127.0.0.1:3306/shop';", "My5ql-R00t"),
    secret(
        "url-password",
        "git push https://deploy:gl-Tk9xP2v@gitlab.com/group/repo.git main",
        "gl-Tk9xP2v",
    ),
    secret("url-password", "SMTP_URL=smtp://mailer:Sm7p-P4ss@smtp.example.com:587", "Sm7p-P4ss"),
    secret("url-password", "lftp ftp://backup:Ftp-2x9Q@files.example.org/", "Ftp-2x9Q"),
    secret(
        "url-password",
        "spring:\n  rabbitmq:\n    addresses: amqps://svc:Rb7-mQ-92x@rabbit.internal:5671/prod",
        "Rb7-mQ-92x",
    ),
    secret(
        "url-password",
        "The connection string mongodb://reader:Rd8x-2Qw@10.0.0.5:27017/?authSource=admin keeps timing out.",
        "Rd8x-2Qw",
    ),
    secret(
        "url-password",
        "https://oauth2:glpat-u3ZR1zTOlUcR64cXQLio@gitlab.example.com/team/app.git",
        "glpat-u3ZR1zTOlUcR64cXQLio",
    ),
    # ======================================================================================================
    # look-alikes: must come back exactly as written
    # -- references to a secret held elsewhere -------------------------------------------------------------
    harmless("reference", "const openai = new OpenAI({ apiKey: process.env.OPENAI_API_KEY });"),
    harmless("reference", 'openai.api_key = os.environ["OPENAI_API_KEY"]'),
    harmless("reference", 'api_key = os.getenv("ANTHROPIC_API_KEY")'),
    harmless("reference", 'SECRET_KEY = os.environ.get("SECRET_KEY", "")'),
    harmless("reference", "secret_key = settings.SECRET_KEY"),
    harmless("reference", "return {\n    'username': self.username,\n    'password': self.password,\n}"),
    harmless("reference", 'cfg := Config{\n\tPassword: os.Getenv("DB_PASSWORD"),\n\tUser: "app",\n}'),
    harmless("reference", 'String apiKey = System.getenv("API_KEY");'),
    harmless("reference", 'var apiKey = Environment.GetEnvironmentVariable("OPENAI_API_KEY");'),
    harmless("reference", 'options.Password = configuration["Database:Password"];'),
    harmless("reference", 'password: ENV["DB_PASSWORD"],\napi_key: ENV.fetch("API_KEY")'),
    harmless("reference", "'password' => env('DB_PASSWORD'),\n'secret' => env('APP_SECRET', ''),"),
    harmless("reference", "$apiKey = getenv('API_KEY');\n$token = $_ENV['TOKEN'];"),
    harmless("reference", 'curl https://api.openai.com/v1/models -H "Authorization: Bearer $OPENAI_API_KEY"'),
    harmless("reference", "export TOKEN=$(cat ~/.config/acme/token)"),
    harmless(
        "reference", "    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}\n      API_KEY: ${API_KEY:-}"
    ),
    harmless("reference", "    environment:\n      - POSTGRES_PASSWORD_FILE=/run/secrets/db_password"),
    harmless(
        "reference",
        "        env:\n        - name: DB_PASSWORD\n          valueFrom:\n            secretKeyRef:\n"
        "              name: db-secret\n              key: password",
    ),
    harmless(
        "reference", "      - run: ./deploy.sh\n        env:\n          OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }}"
    ),
    harmless("reference", 'token = config["token"]\npassword = request.form["password"]'),
    harmless("reference", "token = get_token()\nsecret = keyring.get_password('acme', 'deploy')"),
    harmless("reference", "const token: string = req.headers.authorization?.split(' ')[1];"),
    harmless("reference", "export default defineConfig({ apiKey: import.meta.env.VITE_API_KEY })"),
    harmless("reference", 'resource "aws_db_instance" "db" {\n  password = var.db_password\n}'),
    harmless("reference", 'client = OpenAI(api_key=st.secrets["OPENAI_API_KEY"])'),
    harmless("reference", "api_key = args.api_key or config.get('api_key')"),
    harmless("reference", 'let password = std::env::var("DB_PASSWORD").expect("DB_PASSWORD set");'),
    harmless("reference", 'PASSWORD=$DB_PASSWORD\nAPI_KEY="$1"'),
    harmless("reference", "password = Rails.application.credentials.dig(:db, :password)"),
    harmless("reference", 'export AWS_SECRET_ACCESS_KEY="$(aws configure get aws_secret_access_key)"'),
    harmless("reference", "client_secret: '{{ vault_client_secret }}'\npassword: \"{{ db_password }}\""),
    # -- templates -----------------------------------------------------------------------------------------
    harmless("template", 'headers = {"Authorization": f"Bearer {token}"}'),
    harmless("template", "headers: { Authorization: `Bearer ${token}` }"),
    harmless("template", 'logger.debug("login user=%(user)s password=%(password)s", params)'),
    harmless("template", 'print("token=%s" % token)'),
    harmless("template", 'url = f"postgresql://{user}:{password}@{host}:5432/{db}"'),
    harmless("template", "DATABASE_URL=postgres://${DB_USER}:${DB_PASSWORD}@db:5432/app"),
    harmless("template", 'uri = "mongodb://%s:%s@%s/admin" % (user, password, host)'),
    harmless("template", 'var cs = $"Server={server};Database=shop;User Id={user};Password={password};";'),
    harmless("template", 'conn_str = "host={} user={} password={}".format(host, user, password)'),
    harmless("template", "password: <%= ENV['DB_PASSWORD'] %>"),
    harmless("template", "Authorization: Bearer {{access_token}}"),
    harmless("template", 'puts "token=#{token}"'),
    harmless("template", "api_key: @api_key@"),
    # -- bare identifiers ----------------------------------------------------------------------------------
    harmless("identifier", "openai.api_key = API_KEY"),
    harmless("identifier", "cfg := Config{\n\tUser:     user,\n\tPassword: password,\n}"),
    harmless("identifier", "const client = createClient({ url, apiKey: apiKey, token: accessToken });"),
    harmless("identifier", "client = Client(api_key=api_key, timeout=30)"),
    harmless("identifier", "const { apiKey, secret } = credentials;\nconst secretKey = secret;"),
    harmless("identifier", "def login(username: str, password: str) -> Token:"),
    harmless("identifier", "api_key: str = Field(...)"),
    harmless("identifier", "interface Credentials {\n  username: string;\n  password: string;\n  apiKey?: string;\n}"),
    harmless("identifier", "if password == confirm_password:\n    save(password)"),
    harmless("identifier", "self.api_key = api_key\nself.secret = secret"),
    harmless("identifier", "token_count = len(tokens)\nmax_tokens = 1024"),
    harmless("identifier", 'tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")'),
    harmless("identifier", '{"model": "gpt-4o", "max_tokens": 4096, "temperature": 0.2}'),
    harmless("identifier", '{"access_token": null, "token_type": "bearer", "expires_in": 3600}'),
    harmless(
        "identifier", "      volumes:\n        - name: certs\n          secret:\n            secretName: tls-cert-prod"
    ),
    harmless(
        "identifier", 'TOKEN_URL = "https://oauth2.googleapis.com/token"\nPASSWORD_RESET_URL = "/accounts/reset/"'
    ),
    harmless("identifier", '"password_min_length": 12,\n"password_policy": "strong"'),
    harmless("identifier", 'PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]'),
    harmless("identifier", '<input type="password" name="password" placeholder="Password" required>'),
    harmless("identifier", "Password: password"),
    harmless(
        "identifier", "private String password;\npublic void setPassword(String password) { this.password = password; }"
    ),
    harmless("identifier", 'auth_token_header = "X-Auth-Token"\nsecret_name = "prod/db/credentials"'),
    harmless("identifier", 'echo "$CR_PAT" | docker login ghcr.io -u USERNAME --password-stdin'),
    harmless("identifier", "password_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt())"),
    harmless("identifier", "api_key = api_key.strip()\ntoken = token.decode('utf-8')"),
    harmless("identifier", "SECRET_KEY_FALLBACKS = []\nSESSION_COOKIE_SECURE = True"),
    # -- placeholders --------------------------------------------------------------------------------------
    harmless("placeholder", "OPENAI_API_KEY=your-api-key"),
    harmless("placeholder", 'api_key = "your_api_key_here"'),
    harmless("placeholder", "curl -H 'Authorization: Bearer <API_KEY>' https://api.example.com"),
    harmless("placeholder", 'apiKey: "<YOUR_API_KEY>"'),
    harmless("placeholder", 'password = "xxxxxxxx"'),
    harmless("placeholder", "DB_PASSWORD=changeme"),
    harmless("placeholder", 'client = OpenAI(api_key="...")'),
    harmless("placeholder", '{"username": "admin", "password": "********"}'),
    harmless("placeholder", "OPENAI_API_KEY=sk-...\nANTHROPIC_API_KEY=sk-ant-..."),
    harmless("placeholder", "Set it to something like sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and restart."),
    harmless("placeholder", 'export OPENAI_API_KEY="sk-proj-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"'),
    harmless("placeholder", "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
    harmless("placeholder", 'token: "YOUR_TOKEN"'),
    harmless("placeholder", "SECRET_KEY=replace-me-with-a-long-random-string"),
    harmless("placeholder", 'password: "password"'),
    harmless("placeholder", "    environment:\n      POSTGRES_PASSWORD: example"),
    harmless("placeholder", '{"api_key": "INSERT_KEY_HERE"}'),
    harmless("placeholder", 'password = "<password>"'),
    harmless("placeholder", "mongodb+srv://<username>:<password>@cluster0.mongodb.net/?retryWrites=true"),
    harmless("placeholder", "DATABASE_URL=postgres://user:password@localhost:5432/mydb"),
    harmless("placeholder", "postgres://postgres:postgres@localhost:5432/postgres"),
    harmless("placeholder", "CELERY_BROKER_URL=amqp://guest:guest@localhost:5672//"),
    harmless("placeholder", "Authorization: Bearer YOUR_ACCESS_TOKEN_HERE"),
    harmless("placeholder", "AWS_SECRET_ACCESS_KEY=your-secret-access-key\nAWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX"),
    harmless("placeholder", "OPENAI_API_KEY=\nDB_PASSWORD=\nSECRET_KEY=''"),
    harmless("placeholder", "api_key = None\ntoken = null\npassword: ~\nsecret: false"),
    harmless("placeholder", 'SLACK_BOT_TOKEN="xoxb-your-bot-token"'),
    harmless("placeholder", "DB_PASSWORD=secret\nREDIS_PASSWORD=null"),
    harmless("placeholder", 'api_key = "REPLACE_WITH_YOUR_KEY"\ntoken = "TODO"'),
    harmless("placeholder", '"password": "string",\n"token": "string"'),
    harmless("placeholder", "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----"),
    harmless("placeholder", "curl -u admin:$ADMIN_PASSWORD https://ci.example.com/api/json"),
    harmless("placeholder", 'token = "abcdefghijklmnopqrstuvwxyz"'),
    harmless("placeholder", "Authorization: Basic dXNlcm5hbWU6cGFzc3dvcmQ="),
    harmless("placeholder", 'password: "[REDACTED]"\napi_key: "<redacted>"'),
    harmless("placeholder", 'stripe.api_key = "sk_live_..."\n# or sk_live_XXXXXXXXXXXXXXXXXXXXXXXX'),
    # -- truncated or documented example keys --------------------------------------------------------------
    harmless(
        "example-key",
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    harmless(
        "example-key",
        "AWS_ACCESS_KEY_ID=AKIAI44QH8DHBEXAMPLE\nAWS_SECRET_ACCESS_KEY=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    ),
    harmless("example-key", "The key starts with sk-proj-4fQ and ends in …Xa; which project is it?"),
    harmless("example-key", "OpenAI keys look like sk-xxxxxxxx and Anthropic ones like sk-ant-xxxx."),
    harmless("example-key", f"Decode this sample from jwt.io: {_JWT_IO}"),
    harmless("example-key", "GitHub classic tokens start with ghp_ and fine-grained ones with github_pat_."),
    harmless(
        "example-key", "An AWS access key id has 20 characters and starts with AKIA (long-term) or ASIA (temporary)."
    ),
    harmless(
        "example-key",
        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEx2jIclHkCiHp6bR1IqfEouHgxzNNAL5w\n"
        "-----END PUBLIC KEY-----",
    ),
    harmless(
        "example-key",
        "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n"
        "-----END CERTIFICATE-----",
    ),
    harmless(
        "example-key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPx2jIclHkCiHp6bR1IqfEouHgxzNNAL5wIScGebcy8F maria@laptop"
    ),
    harmless("example-key", "STRIPE_SECRET_KEY=sk_test_placeholder\nSTRIPE_PUBLISHABLE_KEY=pk_test_51Hq"),
    harmless("example-key", "A Slack bot token begins with xoxb- and a user token with xoxp-."),
    harmless("example-key", "Google API keys are 39 characters and begin with AIza."),
    # -- hashes, digests and ids in ordinary use -----------------------------------------------------------
    harmless("hash-or-id", "git checkout 43e9d5e41bea52b799993c76de28dc4bf636f426"),
    harmless("hash-or-id", "commit 438a6fc906d9380c69491dbe1cd93b935604d716\nAuthor: Maria <maria@example.com>"),
    harmless("hash-or-id", "image: nginx@sha256:a1f8b46287cced9041dff02cee737443e210471948d33296c87009e8a7f770d9"),
    harmless("hash-or-id", '{"request_id": "req_14774c9eb511e79ad5de82635fb225b3", "status": 429}'),
    harmless("hash-or-id", "X-Request-Id: 08d18011-3e94-0bb4-52d3-1e1b8c0d0033"),
    harmless("hash-or-id", '{"id": "chatcmpl-9f3k2LmQ8xVt7wRzAbCdEf", "object": "chat.completion"}'),
    harmless(
        "hash-or-id",
        '<script src="app.js" '
        'integrity="sha384-KxsAFEcUWWv04h+P9sI1YVvE0k/SzW4WDLR5Ml+K63IxUl285XkHoWk/z6DEZwpg"></script>',
    ),
    harmless("hash-or-id", 'GOOGLE_CLIENT_ID="1234567890-abc123def456.apps.googleusercontent.com"'),
    harmless("hash-or-id", 'password_hash = "$2b$12$KIXQJ8q2v3Ff6pZ1yGg7eO0Fh3aZqk9cUj8WmR5tLx1nV2bY6sD4u"'),
    harmless("hash-or-id", '{"sha": "b37927b5f42b3b06b2d36eeb8a85fddba6554e2d", "node_id": "C_kwDOAbc123"}'),
    harmless(
        "hash-or-id",
        "sha256sum dist/app.tar.gz\n106fd287db7f1adbc60926f6967e7893f57fd14c1604d115cea325a65e19cbae  dist/app.tar.gz",
    ),
    harmless("hash-or-id", 'thread_id = "thread_abc123XYZ789"\nconversation_id: 37c60e98-4f3e-885e-e1e4-37b7f735efe6'),
    harmless("hash-or-id", 'access_key_id = "AKIA-style ids are not secrets on their own"\nkey_id: "kid-2024-01"'),
    harmless(
        "hash-or-id",
        '"resolved": "https://registry.npmjs.org/react/-/react-18.2.0.tgz",\n'
        '"integrity":'
        ' "sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ=="',
    ),
    harmless("hash-or-id", "Request failed with trace id 4dbceca3f66081eb10fcfe94ff551d99 at 12:03."),
    # -- prose and ordinary code that uses the words -------------------------------------------------------
    harmless("prose", "the password is long and the token expires"),
    harmless("prose", "Your API key is a secret: treat it like a password and never commit it."),
    harmless("prose", "Tokens: 1,024 used of 4,096 in the context window."),
    harmless("prose", "Password: Strongly recommended to use a manager."),
    harmless("prose", "Token: expired. Secret: rotated last week."),
    harmless("prose", "| field | type | description |\n| token | string | The access token |"),
    harmless("prose", "Use `Authorization: Bearer <token>` on every request; bearer tokens expire after an hour."),
    harmless("prose", "The passwords don't match: try again."),
    harmless("prose", "API key: paste it in Settings, then press Save."),
    harmless("prose", "task-listing-and-desk-management-for-everyone"),
    harmless("prose", "see https://example.com/docs and http://localhost:8080/"),
    harmless("prose", "ASIA and AKIA are prefixes; skills, ghosts, eyes"),
    harmless("prose", "secret: sauce is mostly butter, and the key: patience."),
    harmless("prose", "密码: 请在设置中修改 / password: see the vault"),
    harmless("prose", "risk-assessment-for-the-quarterly-planning-2024 is attached"),
    harmless("prose", "password = request.form['password']"),
    harmless("prose", "Visit https://docs.example.com:443/auth#token for details."),
]

#: Written after the rules above passed, before looking at how the rules would treat them: how the rules do
#: on text they were not tuned to (the figures of the first run are in the commit that added them).
LATER: list[Case] = [
    secret(
        "openai-key",
        'openai.api_key = "sk-9aB3cD4eF5gH6iJ7kL8mN9oP0qR1sT2uV3wX4yZ5"',
        "sk-9aB3cD4eF5gH6iJ7kL8mN9oP0qR1sT2uV3wX4yZ5",
    ),
    secret(
        "openai-key",
        "openai:\n  key: sk-proj-Tq8vLw2Zr6Yp3Kx9Mb4Nc7Hd1Jf5Gs0Aa2Bb3Cc4Dd5Ee6\n  model: gpt-4o",
        "sk-proj-Tq8vLw2Zr6Yp3Kx9Mb4Nc7Hd1Jf5Gs0Aa2Bb3Cc4Dd5Ee6",
    ),
    secret("password", 'os.environ["DB_PASSWORD"] = "Qz7-Lm2-Pw9"', "Qz7-Lm2-Pw9"),
    secret("api-secret", "ENV['API_TOKEN'] = 'a8f5f167f44f4964e6c998dee827110c'", "a8f5f167f44f4964e6c998dee827110c"),
    secret("api-secret", 'JWT_SECRET="kL9#mN2$pQ5&rS8"  # rotate monthly', "kL9#mN2$pQ5&rS8"),
    secret("password", "REDIS_PASSWORD='r3d1s-P@ss'", "r3d1s-P@ss"),
    secret(
        "password",
        'db, err := sql.Open("postgres", "host=db user=app password=G0-Pq-77x dbname=shop sslmode=disable")',
        "G0-Pq-77x",
    ),
    secret("password", "db.url = jdbc:mysql://db/shop\ndb.password = Pr0p-Sp4ce\n", "Pr0p-Sp4ce"),
    secret("api-secret", '{\n  "Payments": {\n    "ApiKey": "3b1f6c2e9d8a4f7b"\n  }\n}', "3b1f6c2e9d8a4f7b"),
    secret(
        "password",
        '$password = ConvertTo-SecureString "P0wer-Sh3ll!" -AsPlainText -Force',
        "P0wer-Sh3ll!",
    ),
    secret(
        "password",
        "kubectl create secret generic db --from-literal=username=app --from-literal=password='K8s-L1t3ral'",
        "K8s-L1t3ral",
    ),
    secret("password", 'resource "random_x" "y" {}\nmaster_password = "Terr4form-Pw"', "Terr4form-Pw"),
    secret("password", 'ansible_become_pass: "B3come-Me"', "B3come-Me"),
    secret("password", "CREATE USER 'app'@'%' IDENTIFIED BY 'Sql-Cr3ate-9';", "Sql-Cr3ate-9"),
    secret("password", "ALTER USER app WITH PASSWORD 'Pg-Alter-42';", "Pg-Alter-42"),
    secret(
        "url-password",
        "pip install --index-url https://__token__:pypi-AgEIcHlwaS5vcmcQ2kLm9Xv7Rt3@upload.pypi.org/simple/ acme",
        "pypi-AgEIcHlwaS5vcmcQ2kLm9Xv7Rt3",
    ),
    secret("password", "the password for the staging db is Stg-2024-pw! (don't share it)", "Stg-2024-pw!"),
    secret(
        "api-secret",
        "curl -H 'Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b' https://api.example.com/",
        "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
    ),
    secret("api-secret", "http GET api.example.com/items X-API-Key:Hp7kQ2mZ9xL4vR8n", "Hp7kQ2mZ9xL4vR8n"),
    secret("api-secret", "auth:\n  api-key: 7f3e9b2a1c8d4e6f0a5b\n", "7f3e9b2a1c8d4e6f0a5b"),
    secret(
        "api-secret",
        "heroku config:set SECRET_KEY_BASE=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ),
    secret("password", '{"user": "jörg", "password": "Jörg-Pässwört-1"}', "Jörg-Pässwört-1"),
    secret(
        "private-key",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQIx2jIclHkCiHp6bR1\n"
        "-----END ENCRYPTED PRIVATE KEY-----",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQIx2jIclHkCiHp6bR1\n"
        "-----END ENCRYPTED PRIVATE KEY-----",
    ),
    secret(
        "aws-secret-key",
        "AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEHwaCXVzLWVhc3QtMSJHMEUCIQD4Wy4AVWEVeUeApzM/gcYBF0PRFiRmlgpkBUxNoTs",
        "IQoJb3JpZ2luX2VjEHwaCXVzLWVhc3QtMSJHMEUCIQD4Wy4AVWEVeUeApzM/gcYBF0PRFiRmlgpkBUxNoTs",
    ),
    secret(
        "api-secret",
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg==;"
        "EndpointSuffix=core.windows.net",
        "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg==",
    ),
    secret(
        "api-secret",
        "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=Kq9Lm2Xv7Rt3Zp8Nc4Hd1Jf5Gs0=",
        "Kq9Lm2Xv7Rt3Zp8Nc4Hd1Jf5Gs0=",
    ),
    secret("basic-auth", 'r = requests.get(url, auth=("admin", "Req-Auth-77"))', "Req-Auth-77"),
    secret(
        "password",
        'mongosh "mongodb+srv://cluster0.x.mongodb.net/db" --username admin --password M0ng0-Sh3ll',
        "M0ng0-Sh3ll",
    ),
    secret("password", "redis-cli -h cache.internal -a R3dis-Cli-Pw PING", "R3dis-Cli-Pw"),
    secret("password", "sshpass -p 'Ssh-Pa55-1' ssh deploy@10.0.0.7", "Ssh-Pa55-1"),
    harmless("identifier", "password_field = forms.CharField(widget=forms.PasswordInput)"),
    harmless("reference", 'token = jwt.encode(payload, SECRET_KEY, algorithm="HS256")'),
    harmless("prose", '{"tokens": ["Hello", ",", " world"], "token_ids": [9906, 11, 1917]}'),
    harmless("identifier", 'api_key_env = "OPENAI_API_KEY"'),
    harmless("reference", "secret = os.urandom(32).hex()"),
    harmless("reference", 'password = getpass.getpass("Password: ")'),
    harmless("identifier", "token_bucket = TokenBucket(rate=10)"),
    harmless("template", 'password: "{{ .Values.db.password }}"\napiKey: {{ .Values.apiKey | quote }}'),
    harmless("reference", 'echo "API_KEY=$API_KEY" >> .env'),
    harmless("reference", "char *password = argv[1];"),
    harmless("reference", "const secret = crypto.randomBytes(32).toString('hex');"),
    harmless("reference", "SECRET_KEY = get_random_secret_key()"),
    harmless("reference", 'api_key = "sk-" + key_suffix'),
    harmless("reference", "        with:\n          token: ${{ github.token }}"),
    harmless("placeholder", "db_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  62313365396662343061393464336163"),
    harmless("identifier", 'password_regex = r"^(?=.*\\d)(?=.*[a-z]).{8,}$"'),
    harmless("identifier", "DB_PASSWORD_SECRET_NAME=prod/db\nPASSWORD_MIN=8"),
    harmless("reference", 'auth_token = request.headers.get("X-Auth-Token")'),
    harmless("identifier", "client = Client(client_id=client_id, client_secret=client_secret,)"),
    harmless("hash-or-id", '{"api_key_id": "5f1c2b3a-9d8e-4f7a-b6c5-d4e3f2a1b0c9", "created": 1717000000}'),
    harmless("identifier", "session_token = None\nrefresh_token: Optional[str] = None"),
    harmless("reference", "UPDATE users SET password = crypt(:pw, gen_salt('bf')) WHERE id = :id;"),
    harmless("reference", "SELECT * FROM sessions WHERE token = $1 AND expires_at > now()"),
    harmless("identifier", 'type User struct {\n\tPassword string `json:"password"`\n}'),
    harmless("identifier", 'tokens = tokenizer("Hello world", return_tensors="pt")'),
    harmless("prose", '{"token": " Paris", "logprob": -0.12}, {"token": "Paris", "logprob": -2.3}'),
    harmless("identifier", "      tls:\n        secretName: my-tls-secret"),
    harmless("reference", "          password: ${{ secrets.DB_PASSWORD }}"),
    harmless("identifier", "tls:\n  keyFile: /etc/ssl/private/server.key\n  certFile: /etc/ssl/certs/server.crt"),
    harmless("placeholder", 'passphrase: ""'),
    harmless("identifier", "cd $(pwd)/build\nPWD=/home/maria/project\nOLDPWD=/tmp"),
    harmless("identifier", "bypass_token_check = True\ntoken_limit: 8000"),
    harmless("reference", 'headers = {"Authorization": "Bearer " + token}'),
    harmless("prose", 'password = "Enter your password"'),
    harmless("prose", "The key: a passphrase is easier to remember than a password."),
]

#: Found by running the rules over the bench export's synthetic chats (bench/synth_export.py).
LATER += [
    harmless("identifier", "      containers:\n      - name: api\n        image: registry.local/token:v0.11.8"),
    harmless("identifier", "image: ghcr.io/acme/secret-manager:1.4.2\nkey_version: 2.1.0"),
]

#: Found by running the rules over the code and docs of installed libraries (CPython's stdlib and tests,
#: botocore, awscli, moto, pygments, pydantic, cryptography, mcp…), where every mask but a literal is wrong.
LATER += [
    harmless("identifier", '        "input_token": "NextToken",\n        "output_token": "next_token",'),
    harmless(
        "hash-or-id", '"ChangeToken": "abcd12f2-46da-4fdb-b8d5-fbd4c466928f",\n"LockToken": "0674c84b-0304-47fe-8728"'
    ),
    harmless("hash-or-id", '"ClientRequestToken": "a8ca07e4-61ec-4399-99f4-19853801bcd5"'),
    harmless("identifier", '    styles = {\n        Token: "#d8dee9",\n        Comment: "#616e88",\n    }'),
    harmless("identifier", "    def sign(private_key: Ed25519PrivateKey | Ed448PrivateKey, data: bytes) -> bytes:"),
    harmless("identifier", "MLKEM768X25519PrivateKey = rust_openssl.hpke.MLKEM768X25519PrivateKey"),
    harmless("identifier", "token = r\"[-!#$%&'*+.^_`|~0-9a-zA-Z]+\"\njsonnet_token = r'[^\\W\\d]\\w*'"),
    harmless("template", "ident_pattern_token = f'([{uni.xid_start}][{uni.xid_continue}]+)'"),
    harmless("identifier", 'grant_type: Literal["authorization_code", "refresh_token", "client_credentials"]'),
    harmless("identifier", 'KEYWORDS = {"def", "pass", "public", "private", "return"}'),
    harmless("identifier", '"Resource": "arn:aws:secretsmanager:*:*:secret:aws/ssm/3p/*"'),
    harmless(
        "identifier", '"AWS::ApiGateway::ApiKey": "48205d4ffd7feba3",\n"AWS::IAM::AccessKey": "72c2d9dd90025459",'
    ),
    harmless("placeholder", 'auth = ClientSecretAuth(client_id="my-client-id", client_secret="my-client-secret")'),
    harmless("hash-or-id", '<assemblyIdentity name="Microsoft.VC90.CRT" publicKeyToken="1fc8b3b9a1e18e3b"/>'),
    harmless("identifier", "FILTER_TYPES = {'pass': 'bandpass', 'stop': 'bandstop'}"),
    harmless("prose", 'Alternatively, you can pass "inline=False" to use if-else conditionals.'),
    harmless("placeholder", '"Token": "sas-token-for-azure-blob-storage-access"'),
    harmless(
        "identifier",
        "image: registry.local/secret-rotator:2.4\nencryptionKey: arn:aws:kms:us-west-2:123456789012:alias/s3",
    ),
]
