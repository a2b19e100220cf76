/*
 * sip_inspect: parse a SIP message from a file (or stdin) with voipsec and
 * print its start line, dialog identifiers and headers.
 * Exit status: 0 valid, 2 malformed, 1 usage or I/O error.
 *
 *   gcc -Wall -Wextra -Werror sip_inspect.c $(pkg-config --cflags --libs voipsec)
 *   ./a.out message.sip
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <voipsec.h>

#define SHOW(s) (int)(s).len, (const char *)(s).ptr

static void show(const voipsec_sip_message *msg, const char *label,
                 voipsec_status (*get)(const voipsec_sip_message *, voipsec_slice *)) {
  voipsec_slice s;
  voipsec_status st = get(msg, &s);
  if (st == VOIPSEC_OK)
    printf("%-10s %.*s\n", label, SHOW(s));
  else
    printf("%-10s (%s)\n", label, voipsec_status_str(st));
}

int main(int argc, char **argv) {
  FILE *in = argc > 1 ? fopen(argv[1], "rb") : stdin;
  if (in == NULL) {
    perror(argv[1]);
    return 1;
  }
  static uint8_t buf[65536];
  size_t len = fread(buf, 1, sizeof buf, in);
  if (in != stdin) fclose(in);

  voipsec_sip_message *msg = NULL;
  size_t at = 0;
  voipsec_status st = voipsec_sip_message_parse(buf, len, &msg, &at);
  if (st != VOIPSEC_OK) {
    if (at == SIZE_MAX)
      printf("rejected: %s\n", voipsec_status_str(st));
    else
      printf("rejected: %s at byte %zu\n", voipsec_status_str(st), at);
    return 2;
  }
  /* The message owns a copy: the input buffer may be reused right away. */
  memset(buf, 0, sizeof buf);

  voipsec_sip_start_line line;
  if (voipsec_sip_start_line_get(msg, &line) == VOIPSEC_OK) {
    if (line.is_request)
      printf("request    %.*s %.*s\n", SHOW(line.method), SHOW(line.request_uri));
    else
      printf("response   %u %.*s\n", (unsigned)line.status_code, SHOW(line.reason));
  }
  show(msg, "call-id", voipsec_sip_call_id);
  show(msg, "branch", voipsec_sip_via_branch);
  show(msg, "from-tag", voipsec_sip_from_tag);
  show(msg, "to-tag", voipsec_sip_to_tag);
  uint32_t seq = 0;
  voipsec_slice method;
  if (voipsec_sip_cseq(msg, &seq, &method) == VOIPSEC_OK) printf("%-10s %u %.*s\n", "cseq", seq, SHOW(method));

  /* Compact and long names find the same field: "v" is Via. */
  voipsec_slice via;
  for (size_t i = 0; voipsec_sip_header_get(msg, (const uint8_t *)"v", 1, i, &via) == VOIPSEC_OK; i++)
    printf("via[%zu]     %.*s\n", i, SHOW(via));

  size_t count = 0;
  voipsec_sip_header_count(msg, &count);
  printf("%zu header fields:\n", count);
  for (size_t i = 0; i < count; i++) {
    voipsec_slice name, value;
    if (voipsec_sip_header_at(msg, i, &name, &value) == VOIPSEC_OK)
      printf("  %.*s: %.*s\n", SHOW(name), SHOW(value));
  }
  voipsec_slice body;
  if (voipsec_sip_body(msg, &body) == VOIPSEC_OK) printf("body       %zu bytes\n", body.len);
  st = voipsec_sip_message_validate(msg);
  printf("grammar    %s\n", voipsec_status_str(st));

  /* What an SBC answers, and the canonical form it would forward. */
  uint16_t answer = 0;
  char why[128];
  size_t why_len = 0;
  voipsec_status sane = voipsec_sip_sanity_check(msg, &answer, (uint8_t *)why, sizeof why, &why_len);
  if (sane == VOIPSEC_OK)
    printf("sanity     ok\n");
  else
    printf("sanity     %s: answer %u (%s%s)\n", voipsec_status_str(sane), (unsigned)answer, why,
           why_len >= sizeof why ? "..." : "");
  size_t needed = 0;
  if (voipsec_sip_normalize(msg, NULL, 0, &needed) == VOIPSEC_ERR_BUFFER_TOO_SMALL) {
    uint8_t *canonical = malloc(needed);
    size_t n = 0;
    if (canonical != NULL && voipsec_sip_normalize(msg, canonical, needed, &n) == VOIPSEC_OK)
      printf("normalized %zu bytes (from %zu)\n", n, len);
    free(canonical);
  }
  voipsec_sip_message_free(msg);
  return st == VOIPSEC_OK && sane == VOIPSEC_OK ? 0 : 2;
}
