/*
 * guard_gate: the front door of a PBX. Every datagram goes through the
 * policy guard (events arrive as JSON lines through a callback), REGISTERs
 * are rate-limited per account and answered with digest challenges, and
 * credentials are verified with the password the PBX looked up.
 *
 *   gcc -Wall -Wextra -Werror guard_gate.c $(pkg-config --cflags --libs voipsec)
 */
#include <stdio.h>
#include <string.h>
#include <voipsec.h>

static void on_event(void *userdata, const uint8_t *json, size_t len) {
  int *events = userdata;
  (*events)++;
  printf("event: %.*s", (int)len, (const char *)json); /* ends in \n */
}

static const char *action_name(voipsec_guard_action a) {
  static const char *names[] = {"allow", "alert", "challenge", "throttle", "reject", "drop", "block"};
  return a < sizeof names / sizeof names[0] ? names[a] : "?";
}

static voipsec_guard_decision feed(voipsec_guard *g, const uint8_t ip[4], const char *msg, uint64_t now_ms) {
  voipsec_guard_decision d;
  voipsec_status st = voipsec_guard_on_datagram(g, ip, 4, (const uint8_t *)msg, strlen(msg), now_ms,
                                                1700000000000ull + now_ms, &d);
  if (st != VOIPSEC_OK) {
    fprintf(stderr, "on_datagram: %s\n", voipsec_status_str(st));
    d.action = VOIPSEC_GUARD_DROP;
  }
  printf("%-9s rule %.*s (%.*s), sip status %u\n", action_name(d.action), (int)d.rule.len,
         (const char *)d.rule.ptr, (int)d.reason.len, (const char *)d.reason.ptr, (unsigned)d.sip_status);
  return d;
}

int main(void) {
  int events = 0, rc = 1;
  voipsec_guard *guard = NULL;
  voipsec_ratelimit *per_account = NULL;
  voipsec_digest_verifier *verifier = NULL;
  static const char realm[] = "pbx.example.test";
  if (voipsec_guard_new(NULL, 0, on_event, &events, &guard) != VOIPSEC_OK ||
      voipsec_ratelimit_new(3, 60000, 10000, &per_account) != VOIPSEC_OK ||
      voipsec_digest_verifier_new((const uint8_t *)realm, strlen(realm), NULL, 0, VOIPSEC_DIGEST_MD5,
                                  &verifier) != VOIPSEC_OK) {
    fprintf(stderr, "setup failed\n");
    goto out;
  }

  static const uint8_t phone[4] = {192, 0, 2, 10}, scanner[4] = {198, 51, 100, 66};
  static const char *reg =
      "REGISTER sip:pbx.example.test SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-r1\r\n"
      "From: <sip:alice@pbx.example.test>;tag=a1\r\nTo: <sip:alice@pbx.example.test>\r\n"
      "Call-ID: reg1@192.0.2.10\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\n"
      "Contact: <sip:alice@192.0.2.10:5060>\r\nContent-Length: 0\r\n\r\n";
  static const char *sweep =
      "OPTIONS sip:100@pbx.example.test SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.66:5060;branch=z9hG4bK-s1\r\n"
      "From: <sip:100@pbx.example.test>;tag=s\r\nTo: <sip:100@pbx.example.test>\r\nCall-ID: s1@x\r\n"
      "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nUser-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n";

  /* A phone registers without credentials: challenge it. */
  voipsec_guard_decision d = feed(guard, phone, reg, 1000);
  if (d.action != VOIPSEC_GUARD_CHALLENGE) goto out;
  voipsec_ratelimit_decision quota;
  if (voipsec_ratelimit_check(per_account, (const uint8_t *)"alice", 5, &quota) != VOIPSEC_OK || !quota.allowed) goto out;
  char challenge[512];
  size_t n = 0;
  if (voipsec_digest_challenge(verifier, VOIPSEC_DIGEST_WWW_AUTHENTICATE, false, (uint8_t *)challenge,
                               sizeof challenge - 1, &n) != VOIPSEC_OK)
    goto out;
  challenge[n] = '\0';
  printf("401 with %s", challenge);

  /* The answer carries a wrong response: refused, and the reason counted. */
  const char *nonce = strstr(challenge, "nonce=\"");
  if (nonce == NULL) goto out;
  nonce += 7;
  int nonce_len = (int)(strchr(nonce, '"') - nonce);
  char auth[512];
  int auth_len = snprintf(auth, sizeof auth,
                          "Digest username=\"alice\", realm=\"%s\", nonce=\"%.*s\", uri=\"sip:pbx.example.test\", "
                          "response=\"00000000000000000000000000000000\", algorithm=MD5, qop=auth, nc=00000001, "
                          "cnonce=\"c1\"",
                          realm, nonce_len, nonce);
  uint8_t user[64];
  size_t user_len = 0;
  if (voipsec_digest_username((const uint8_t *)auth, (size_t)auth_len, user, sizeof user, &user_len) != VOIPSEC_OK) goto out;
  /* ...the PBX looks up the password of `user` here... */
  static const char password[] = "s3cret";
  voipsec_digest_reason why = 0;
  voipsec_status st = voipsec_digest_verify(verifier, (const uint8_t *)auth, (size_t)auth_len,
                                            (const uint8_t *)"REGISTER", 8, (const uint8_t *)"sip:pbx.example.test", 20,
                                            user, user_len, VOIPSEC_DIGEST_SECRET_PASSWORD,
                                            (const uint8_t *)password, strlen(password), &why);
  printf("verify %.*s: %s (%s)\n", (int)user_len, (const char *)user, voipsec_status_str(st),
         voipsec_digest_reason_str(why));
  if (st != VOIPSEC_ERR_AUTH_FAILED || why != VOIPSEC_DIGEST_REASON_WRONG_RESPONSE) goto out;

  /* A scanner is blocked on its first packet, then dropped unread. */
  if (feed(guard, scanner, sweep, 2000).action != VOIPSEC_GUARD_BLOCK) goto out;
  if (feed(guard, scanner, "garbage", 3000).action == VOIPSEC_GUARD_ALLOW) goto out;
  if (events == 0) goto out;
  printf("guard_gate: %d events\n", events);
  rc = 0;
out:
  voipsec_digest_verifier_free(verifier);
  voipsec_ratelimit_free(per_account);
  voipsec_guard_free(guard);
  if (rc != 0) fprintf(stderr, "guard_gate: unexpected outcome\n");
  return rc;
}
