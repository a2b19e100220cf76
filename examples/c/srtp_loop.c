/*
 * srtp_loop: protect and unprotect RTP and RTCP through the voipsec C API,
 * the way a media relay does, and check every failure has its own status.
 *
 *   gcc -Wall -Wextra -Werror srtp_loop.c $(pkg-config --cflags --libs voipsec)
 */
#include <stdio.h>
#include <string.h>
#include <voipsec.h>

#define PACKETS 2000
#define PAYLOAD 160

static int fail(const char *what, voipsec_status st) {
  fprintf(stderr, "srtp_loop: %s: %s (%d)\n", what, voipsec_status_str(st), (int)st);
  return 1;
}

static size_t make_rtp(uint8_t *buf, uint32_t ssrc, uint16_t seq) {
  buf[0] = 0x80;
  buf[1] = 0x00; /* PCMU */
  buf[2] = (uint8_t)(seq >> 8);
  buf[3] = (uint8_t)seq;
  uint32_t ts = (uint32_t)seq * PAYLOAD;
  for (int i = 0; i < 4; i++) {
    buf[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
    buf[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
  }
  for (size_t i = 0; i < PAYLOAD; i++) buf[12 + i] = (uint8_t)(seq + i);
  return 12 + PAYLOAD;
}

int main(void) {
  /* In a PBX these come from SDES (a=crypto) or DTLS-SRTP. */
  static const char *offer =
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
  voipsec_srtp *tx = NULL, *rx = NULL;
  voipsec_status st = voipsec_srtp_new_from_sdes((const uint8_t *)offer, strlen(offer), &tx);
  if (st != VOIPSEC_OK) return fail("new_from_sdes", st);
  st = voipsec_srtp_new_from_sdes((const uint8_t *)offer, strlen(offer), &rx);
  if (st != VOIPSEC_OK) { voipsec_srtp_free(tx); return fail("new_from_sdes", st); }

  int rc = 1;
  uint8_t buf[12 + PAYLOAD + VOIPSEC_SRTP_MAX_TRAILER_LEN];
  uint8_t plain[12 + PAYLOAD];
  uint8_t saved[sizeof buf];
  size_t saved_len = 0, n = 0;
  for (uint32_t i = 0; i < PACKETS; i++) {
    uint16_t seq = (uint16_t)(65000 + i); /* crosses a ROC wrap */
    size_t len = make_rtp(buf, 0x1234abcd, seq);
    memcpy(plain, buf, len);
    if ((st = voipsec_srtp_protect(tx, buf, len, sizeof buf, &n)) != VOIPSEC_OK) { fail("protect", st); goto out; }
    if (n != len + 10 || memcmp(buf + 12, plain + 12, PAYLOAD) == 0) { fprintf(stderr, "not encrypted\n"); goto out; }
    if (i == 10) { memcpy(saved, buf, n); saved_len = n; }
    if ((st = voipsec_srtp_unprotect(rx, buf, n, sizeof buf, &n)) != VOIPSEC_OK) { fail("unprotect", st); goto out; }
    if (n != len || memcmp(buf, plain, len) != 0) { fprintf(stderr, "round trip differs at %u\n", i); goto out; }
  }
  uint32_t roc = 0;
  if ((st = voipsec_srtp_get_roc(rx, 0x1234abcd, &roc)) != VOIPSEC_OK || roc != 1) { fail("roc", st); goto out; }

  /* A replay, a packet behind the window, a forged tag: distinct statuses. */
  memcpy(buf, saved, saved_len);
  if ((st = voipsec_srtp_unprotect(rx, buf, saved_len, sizeof buf, &n)) != VOIPSEC_ERR_REPLAY_TOO_OLD) { fail("old packet", st); goto out; }
  size_t len = make_rtp(buf, 0x1234abcd, (uint16_t)(65000 + PACKETS));
  if ((st = voipsec_srtp_protect(tx, buf, len, sizeof buf, &n)) != VOIPSEC_OK) { fail("protect", st); goto out; }
  memcpy(saved, buf, n);
  saved_len = n;
  buf[20] ^= 1;
  if ((st = voipsec_srtp_unprotect(rx, buf, n, sizeof buf, &n)) != VOIPSEC_ERR_AUTH_FAILED) { fail("forged", st); goto out; }
  memcpy(buf, saved, saved_len);
  if ((st = voipsec_srtp_unprotect(rx, buf, saved_len, sizeof buf, &n)) != VOIPSEC_OK) { fail("genuine", st); goto out; }
  memcpy(buf, saved, saved_len);
  if ((st = voipsec_srtp_unprotect(rx, buf, saved_len, sizeof buf, &n)) != VOIPSEC_ERR_REPLAY) { fail("replay", st); goto out; }

  /* RTCP: a sender report. */
  uint8_t sr[28 + VOIPSEC_SRTP_MAX_TRAILER_LEN] = {0x80, 200, 0, 6, 0x12, 0x34, 0xab, 0xcd};
  if ((st = voipsec_srtcp_protect(tx, sr, 28, sizeof sr, &n)) != VOIPSEC_OK) { fail("srtcp_protect", st); goto out; }
  if ((st = voipsec_srtcp_unprotect(rx, sr, n, sizeof sr, &n)) != VOIPSEC_OK || n != 28) { fail("srtcp_unprotect", st); goto out; }

  printf("srtp_loop: %d packets protected and unprotected, roc %u, replay/old/forged refused\n", PACKETS, roc);
  rc = 0;
out:
  voipsec_srtp_free(tx);
  voipsec_srtp_free(rx);
  voipsec_srtp_free(NULL);
  return rc;
}
