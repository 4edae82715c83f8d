// A real OpenID Connect provider for Hatchery's sign-in tests: the certified `oidc-provider`
// package with one confidential client and a few accounts. Started by
// hatchery-testkit's `OidcProvider` on a free port; prints `ready <issuer>` once listening.
//
// Environment:
//   OIDC_PORT           port on 127.0.0.1
//   OIDC_CLIENT_ID      the client's id
//   OIDC_CLIENT_SECRET  its secret (client_secret_basic)
//   OIDC_REDIRECT_URIS  its redirect URIs, space-separated
//   OIDC_ACCOUNTS       JSON object: account id -> claims (preferred_username, email,
//                       email_verified, name, groups)
//
// Signing in needs no form: the account that signs in is the one the test chose with
// `POST /test/sign-in-as?account=ID` (the default: the first account), or the person
// refuses with `POST /test/deny`. Each start generates new signing keys, so a restart on
// the same port is a key rotation.

import http from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');
let current = Object.keys(accounts)[0];
let deny = false;

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID,
    client_secret: process.env.OIDC_CLIENT_SECRET,
    redirect_uris: (process.env.OIDC_REDIRECT_URIS || '').split(' ').filter(Boolean),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  // Every client must use PKCE, as Hatchery always does.
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  // Claims go to the userinfo endpoint only unless the ID token must carry them: Hatchery
  // has to ask there.
  conformIdTokenClaims: true,
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['hatchery-test-cookie-key'] },
  async findAccount(ctx, id) {
    if (!accounts[id]) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...accounts[id] };
      },
    };
  },
  async loadExistingGrant(ctx) {
    // Consent is implied: the test is about Hatchery's side.
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile email groups');
    await grant.save();
    return grant;
  },
});

// Quiet: the test reads stdout for `ready`.
provider.on('server_error', (ctx, err) => console.error('server_error', err));

const callback = provider.callback();

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    if (req.method === 'POST' && url.pathname === '/test/sign-in-as') {
      current = url.searchParams.get('account');
      deny = false;
      res.writeHead(accounts[current] ? 204 : 404).end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/test/deny') {
      deny = true;
      res.writeHead(204).end();
      return;
    }
    if (url.pathname.startsWith('/interaction/')) {
      const details = await provider.interactionDetails(req, res);
      if (deny) {
        deny = false;
        await provider.interactionFinished(req, res, {
          error: 'access_denied',
          error_description: 'the person said no',
        }, { mergeWithLastSubmission: false });
        return;
      }
      if (details.prompt.name === 'login') {
        await provider.interactionFinished(req, res, {
          login: { accountId: current },
        }, { mergeWithLastSubmission: false });
        return;
      }
      await provider.interactionFinished(req, res, { consent: {} }, {
        mergeWithLastSubmission: true,
      });
      return;
    }
    callback(req, res);
  } catch (err) {
    console.error(err);
    if (!res.headersSent) res.writeHead(500).end(String(err));
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
