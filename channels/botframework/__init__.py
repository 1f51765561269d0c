"""Microsoft Teams channel (Bot Framework) for the triage assistant.

Rasa 3.6 ships ``rasa.core.channels.botframework``; this channel replaces it because:

- it sends buttons as ``imBack`` actions whose value is the raw Rasa payload
  (``/choose_severity{"severity": "A"}``), which Teams shows in the chat and sends back
  inconsistently (rasa#8164). Here every button is a ``messageBack`` action: the user
  sees the button title, and the click arrives as a message whose ``value.payload`` is
  the Rasa payload, which is what we hand to Rasa;
- it calls ``requests`` (blocking) inside the event loop, fetches the signing keys in
  ``__init__`` (no network → the server does not start), validates tokens without
  issuer, clock-skew, ``serviceUrl`` or endorsement checks, only knows the
  multi-tenant token endpoint and turns malformed requests into 500s;
- it answers Teams only after the whole Rasa turn, while the Bot Connector expects a
  quick answer.

What this channel does (credentials.yml key ``channels.botframework.TeamsInput``)::

    channels.botframework.TeamsInput:
      app_id: "<Microsoft App ID of the Azure Bot>"
      app_password: "<client secret>"
      tenant_id: "<tenant id>"   # single-tenant bots only; omit for multi-tenant

Inbound (``POST /webhooks/teams/webhook``): body size is checked first (413), then the
``Authorization: Bearer <JWT>`` of the Bot Connector: RS256 signature against the keys
of the Bot Framework OpenID metadata (cached for a day, fetched again once when a token
names an unknown key), issuer ``https://api.botframework.com``, audience = ``app_id``,
``exp``/``nbf`` with 5 minutes of clock skew (401 on any failure). Then the JSON (400),
the token's ``serviceurl`` claim against the activity's ``serviceUrl`` and the key's
channel endorsements (401). A valid activity is answered 200 at once and handed to
Rasa in the background (one turn at a time per user, in arrival order):

- ``message``: the text (bot @mentions removed), or ``value.payload`` of a clicked
  card button;
- ``conversationUpdate``: ``/greet`` once for every new member other than the bot;
  when the bot itself is installed in a personal chat, for the user who installed it;
- anything else: ignored.

Outbound: a client-credentials token from
``{login_base}/{tenant_id or botframework.com}/oauth2/v2.0/token`` (scope
``https://api.botframework.com/.default``, cached until 5 minutes before it expires),
then ``POST {serviceUrl}/v3/conversations/{id}/activities``. Text is sent as
``textFormat: xml`` (escaped, line breaks as ``<br>``: Teams drops single newlines in
Markdown); buttons as a Hero card. Failures are logged (never the secret or a token)
and do not raise into Rasa.
"""

from channels.botframework._common import (
    BOTFRAMEWORK_OPENID_METADATA_URL,
    CLOCK_SKEW_SECONDS,
    HERO_CARD,
    JWKS_TTL_SECONDS,
    MAX_BODY_BYTES,
    UNKNOWN_KID_REFETCH_INTERVAL_SECONDS,
    BotConnectorError,
    InvalidActivity,
    SigningKeysUnavailable,
    TeamsAuthError,
    TeamsConfigError,
)
from channels.botframework.cards import card_action, hero_card, to_teams_xml
from channels.botframework.channel import TeamsInput, TeamsOutput

__all__ = [
    "BOTFRAMEWORK_OPENID_METADATA_URL",
    "CLOCK_SKEW_SECONDS",
    "HERO_CARD",
    "JWKS_TTL_SECONDS",
    "MAX_BODY_BYTES",
    "UNKNOWN_KID_REFETCH_INTERVAL_SECONDS",
    "BotConnectorError",
    "InvalidActivity",
    "SigningKeysUnavailable",
    "TeamsAuthError",
    "TeamsConfigError",
    "TeamsInput",
    "TeamsOutput",
    "card_action",
    "hero_card",
    "to_teams_xml",
]
