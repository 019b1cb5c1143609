/*
 * fuzz_yaml.c - libFuzzer target for the YAML front end and the loaders.
 *
 * The input is written to a memory file and loaded as an inventory and as a
 * playbook through the same path-based entry points the CLI uses, so the
 * size limit, the parser, the tree limits and every validator run on it. A
 * crash, a leak or undefined behaviour is a finding; diagnostics are not.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model.h"
#include "playbook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ro_inventory *inv = NULL;
	struct ro_playbook *pb = NULL;
	struct ro_diags d;
	char path[64];
	int fd = memfd_create("fuzz", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ro_diags_init(&d);
	if (ro_inventory_load(path, &inv, &d) == 0)
		ro_inventory_free(inv);
	ro_diags_free(&d);
	ro_diags_init(&d);
	if (ro_playbook_load(path, &pb, &d) == 0)
		ro_playbook_free(pb);
	ro_diags_free(&d);
	close(fd);
	return 0;
}
