/*
 * libsrtp_compare: what a PBX does with libsrtp today (srtp_init,
 * srtp_create with an "any outbound" policy, srtp_protect,
 * srtp_protect_rtcp), done again with voipsec; the protected bytes must be
 * identical for every profile both support.
 *
 *   gcc -Wall -Wextra -Werror libsrtp_compare.c \
 *       $(pkg-config --cflags --libs voipsec) -lsrtp2
 */
#include <stdio.h>
#include <string.h>
#include <srtp2/srtp.h>
#include <voipsec.h>

#define PACKETS 300

typedef struct {
  const char *name;
  voipsec_srtp_profile voipsec;
  void (*rtp)(srtp_crypto_policy_t *);
  void (*rtcp)(srtp_crypto_policy_t *);
  size_t key_len, salt_len;
} profile;

static const profile profiles[] = {
    {"AES_CM_128_HMAC_SHA1_80", VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_80,
     srtp_crypto_policy_set_rtp_default, srtp_crypto_policy_set_rtp_default, 16, 14},
    /* As Asterisk does: 32-bit tag for RTP, 80-bit for RTCP (RFC 4568 §6.2.1). */
    {"AES_CM_128_HMAC_SHA1_32", VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_32,
     srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32, srtp_crypto_policy_set_rtp_default, 16, 14},
    {"AES_256_CM_HMAC_SHA1_80", VOIPSEC_SRTP_AES_256_CM_HMAC_SHA1_80,
     srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80, srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80, 32, 14},
    {"AES_256_CM_HMAC_SHA1_32", VOIPSEC_SRTP_AES_256_CM_HMAC_SHA1_32,
     srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32, srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80, 32, 14},
    {"AEAD_AES_128_GCM", VOIPSEC_SRTP_AEAD_AES_128_GCM,
     srtp_crypto_policy_set_aes_gcm_128_16_auth, srtp_crypto_policy_set_aes_gcm_128_16_auth, 16, 12},
    {"AEAD_AES_256_GCM", VOIPSEC_SRTP_AEAD_AES_256_GCM,
     srtp_crypto_policy_set_aes_gcm_256_16_auth, srtp_crypto_policy_set_aes_gcm_256_16_auth, 32, 12},
};

static size_t make_rtp(uint8_t *buf, uint16_t seq) {
  static const uint8_t hdr[12] = {0x80, 0x08, 0, 0, 0, 0, 0x10, 0, 0xca, 0xfe, 0xba, 0xbe};
  memcpy(buf, hdr, 12);
  buf[2] = (uint8_t)(seq >> 8);
  buf[3] = (uint8_t)seq;
  size_t payload = 20 + seq % 200;
  for (size_t i = 0; i < payload; i++) buf[12 + i] = (uint8_t)(i * 7 + seq);
  return 12 + payload;
}

static size_t make_rtcp(uint8_t *buf, uint32_t n) {
  static const uint8_t sr[28] = {0x80, 200, 0, 6, 0xca, 0xfe, 0xba, 0xbe};
  memcpy(buf, sr, sizeof sr);
  buf[27] = (uint8_t)n;
  return sizeof sr;
}

static int compare(const profile *p) {
  uint8_t keysalt[46];
  for (size_t i = 0; i < sizeof keysalt; i++) keysalt[i] = (uint8_t)(0x30 + 3 * i);

  /* --- libsrtp, as a PBX sets it up --- */
  srtp_policy_t policy;
  memset(&policy, 0, sizeof policy);
  p->rtp(&policy.rtp);
  p->rtcp(&policy.rtcp);
  policy.ssrc.type = ssrc_any_outbound;
  policy.key = keysalt; /* master key || master salt */
  policy.window_size = 128;
  policy.allow_repeat_tx = 0;
  policy.next = NULL;
  srtp_t session = NULL;
  if (srtp_create(&session, &policy) != srtp_err_status_ok) {
    fprintf(stderr, "%s: srtp_create failed\n", p->name);
    return 1;
  }

  /* --- voipsec --- */
  voipsec_srtp *ctx = NULL;
  voipsec_status st = voipsec_srtp_new(p->voipsec, keysalt, p->key_len, keysalt + p->key_len, p->salt_len, &ctx);
  if (st != VOIPSEC_OK) {
    fprintf(stderr, "%s: voipsec_srtp_new: %s\n", p->name, voipsec_status_str(st));
    srtp_dealloc(session);
    return 1;
  }

  int rc = 0;
  uint8_t a[512 + SRTP_MAX_TRAILER_LEN], b[512 + VOIPSEC_SRTP_MAX_TRAILER_LEN];
  for (uint16_t i = 0; i < PACKETS && rc == 0; i++) {
    uint16_t seq = (uint16_t)(65400 + i); /* crosses the ROC wrap */
    int is_rtcp = i % 10 == 9;
    size_t len = is_rtcp ? make_rtcp(a, i) : make_rtp(a, seq);
    memcpy(b, a, len);
    int alen = (int)len;
    srtp_err_status_t e = is_rtcp ? srtp_protect_rtcp(session, a, &alen) : srtp_protect(session, a, &alen);
    size_t blen = 0;
    st = is_rtcp ? voipsec_srtcp_protect(ctx, b, len, sizeof b, &blen)
                 : voipsec_srtp_protect(ctx, b, len, sizeof b, &blen);
    if (e != srtp_err_status_ok || st != VOIPSEC_OK) {
      fprintf(stderr, "%s: packet %u: libsrtp %d, voipsec %s\n", p->name, i, (int)e, voipsec_status_str(st));
      rc = 1;
    } else if ((size_t)alen != blen || memcmp(a, b, blen) != 0) {
      fprintf(stderr, "%s: packet %u (%s) differs: libsrtp %d bytes, voipsec %zu bytes\n", p->name, i,
              is_rtcp ? "RTCP" : "RTP", alen, blen);
      rc = 1;
    }
  }
  if (rc == 0) printf("libsrtp_compare: %-24s %d packets byte-identical\n", p->name, PACKETS);
  voipsec_srtp_free(ctx);
  srtp_dealloc(session);
  return rc;
}

int main(void) {
  if (srtp_init() != srtp_err_status_ok) {
    fprintf(stderr, "srtp_init failed\n");
    return 1;
  }
  int rc = 0;
  for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) rc |= compare(&profiles[i]);
  srtp_shutdown();
  return rc;
}
