#!/usr/bin/env bash
# How a user joins a tenant, against a running myc-gateway, with curl and jq only:
# staff creates the system roles and a tenant owned by Olga; Olga creates the tenant's
# management account and makes Tom its tenant manager; Tom (over REST) creates a subscription
# account and invites Pat; Pat accepts and reaches a route that needs the role; Tom revokes
# and Pat is refused.
#
# Usage: examples/join-tenant/story.sh [GATEWAY_BINARY]   (default: target/debug/myc-gateway)
# It writes its configuration and store to a temporary directory, serves on a free port, and
# exits non-zero at the first step that does not answer as expected.
set -euo pipefail
G="$(realpath "${1:-target/debug/myc-gateway}")"
dir="$(mktemp -d)"
trap 'kill "$gateway" 2>/dev/null || true; rm -rf "$dir"' EXIT
cd "$dir"
export MYC_JWT_SECRET="story-secret-of-at-least-32-bytes-long"
export MYC_GATEWAY_CONFIG="$dir/gateway.toml"
cat > gateway.toml <<'TOML'
[gateway.auth.internal]
issuer = "mycelium"
audiences = ["mycelium"]
keys = [{ kid = "v1", alg = "HS256", secret = { env = "MYC_JWT_SECRET" } }]

[api.services]
[[reports]]
host = "127.0.0.1:9"
[[reports.path]]
group = { protectedByRoles = [{ slug = "editor", permission = "write" }] }
path = "/reports/*"
methods = ["GET"]
TOML

# 1. Operators: the seed (staff) account, two users, the guest role "editor" (write).
"$G" accounts create-seed-account --email ops@example.com >/dev/null
"$G" accounts create --email olga@initech.test >/dev/null
"$G" accounts create --email pat@initech.test >/dev/null
"$G" accounts create --email tom@initech.test >/dev/null
ROLE=$("$G" guest-roles create --slug editor --permission write | awk '{print $3}')

# 2. The gateway, and a token per person (what a login would hand out).
"$G" serve --listen 127.0.0.1:0 > serve.out 2> serve.err &
gateway=$!
for _ in $(seq 50); do grep -q "listening on" serve.out 2>/dev/null && break; sleep 0.1; done
BASE=$(sed -n 's/^listening on //p' serve.out)
STAFF=$("$G" tokens mint --email ops@example.com)
OLGA=$("$G" tokens mint --email olga@initech.test)
PAT=$("$G" tokens mint --email pat@initech.test)
TOM=$("$G" tokens mint --email tom@initech.test)
rpc() { # TOKEN METHOD PARAMS
  curl -sS -H "authorization: Bearer $1" -H 'content-type: application/json' "$BASE/_adm/rpc" \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":$3}"
}
rest() { # TOKEN METHOD PATH [BODY]: the same API over REST, scoped to $TENANT
  curl -sS -X "$2" -H "authorization: Bearer $1" -H "x-mycelium-tenant-id: $TENANT" \
    -H 'content-type: application/json' "$BASE$3" ${4:+-d "$4"}
}
expect() { # WHAT JSON JQ-FILTER
  echo "$2" | jq -e "$3" >/dev/null || { echo "story: $1 failed: $2" >&2; exit 1; }
}

# 3. Staff creates the system roles (tenant-manager, subscriptions-manager, ...) and the
#    tenant, owned by Olga (her owner id, from her own profile).
R=$(rpc "$STAFF" managers.guestRoles.createSystemRoles '{}')
TM_ROLE=$(echo "$R" | jq -r '.result[] | select(.slug == "tenant-manager" and .permission == "write") | .id')
expect "system roles" "$R" '.result | length >= 2'
OWNER=$(rpc "$OLGA" beginners.profile.get '{}' | jq -r '.result.owners[0].id')
R=$(rpc "$STAFF" managers.tenants.create "{\"name\":\"Initech\",\"ownerId\":\"$OWNER\"}")
expect "tenant" "$R" '.result.id'
TENANT=$(echo "$R" | jq -r .result.id)

# 4. Olga, as owner, creates the management account and invites Tom as tenant manager; Tom
#    accepts.
R=$(rpc "$OLGA" tenantOwner.accounts.createManagementAccount "{\"tenantId\":\"$TENANT\"}")
expect "management account" "$R" '.result.accountType.tenantManager.tenantId'
MANAGEMENT=$(echo "$R" | jq -r .result.id)
R=$(rpc "$OLGA" subscriptionsManager.guests.guestUserToSubscriptionAccount \
  "{\"tenantId\":\"$TENANT\",\"accountId\":\"$MANAGEMENT\",\"roleId\":\"$TM_ROLE\",\"email\":\"tom@initech.test\"}")
expect "tenant-manager invitation" "$R" '.result.wasVerified == false'
R=$(rpc "$TOM" beginners.guests.acceptInvitation \
  "{\"accountId\":\"$MANAGEMENT\",\"guestRoleName\":\"tenant-manager\",\"permission\":1}")
expect "tenant manager accepts" "$R" '.result == null and (.error | not)'

# 5. Tom, over REST, creates a subscription account and invites Pat as editor.
R=$(rest "$TOM" POST /_adm/subscriptions-manager/accounts '{"name":"Initech Reports"}')
expect "subscription account" "$R" '.accountType.subscription.tenantId'
ACCOUNT=$(echo "$R" | jq -r .id)
R=$(rest "$TOM" POST "/_adm/subscriptions-manager/guests/accounts/$ACCOUNT/roles/$ROLE" \
  '{"email":"pat@initech.test"}')
expect "invitation" "$R" '.wasVerified == false'
GUEST="{\"tenantId\":\"$TENANT\",\"accountId\":\"$ACCOUNT\",\"roleId\":\"$ROLE\",\"email\":\"pat@initech.test\"}"

# 6. Pending: Pat is refused on the editor route. Pat accepts; now the route lets Pat in,
#    and Pat's profile names the subscription account in its licence.
status() { curl -s -o /dev/null -w '%{http_code}' -H "authorization: Bearer $PAT" \
  -H "x-mycelium-tenant-id: $TENANT" "$BASE/reports/q3"; }
[ "$(status)" = 403 ] || { echo "story: a pending invitation must grant nothing" >&2; exit 1; }
R=$(rpc "$PAT" beginners.guests.acceptInvitation \
  "{\"accountId\":\"$ACCOUNT\",\"guestRoleName\":\"editor\",\"permission\":1}")
expect "accept" "$R" '.result == null and (.error | not)'
R=$(rpc "$PAT" beginners.profile.get '{"withUrl":false}')
expect "licence" "$R" ".result.licensedResources.records[0].accId == \"$ACCOUNT\""
# The route's upstream (port 9) is not there: 502 means the gateway let Pat through.
[ "$(status)" = 502 ] || { echo "story: the accepted guest must pass the route's roles" >&2; exit 1; }

# 7. Tom revokes; Pat's next request is refused.
R=$(rpc "$TOM" subscriptionsManager.guests.revokeUserGuestToSubscriptionAccount "$GUEST")
expect "revoke" "$R" '.result == null and (.error | not)'
[ "$(status)" = 403 ] || { echo "story: a revoked guest must be refused" >&2; exit 1; }
echo "story: ok"
