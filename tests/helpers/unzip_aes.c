/*
 * unzip_aes: test helper that prints the one entry of a password-protected
 * ZIP (as formctl export --zip writes it) to stdout, read with libzip.
 * Exits 1 when the archive cannot be opened with that password, or when the
 * entry is not AES-256 encrypted.
 */
#include <stdio.h>
#include <zip.h>

int
main(int argc, char *argv[])
{
	zip_t		*z;
	zip_file_t	*f;
	zip_stat_t	 st;
	char		 buf[8192];
	zip_int64_t	 n;
	int		 err, rc = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: unzip_aes ZIP PASSWORD\n");
		return 2;
	}
	if ((z = zip_open(argv[1], ZIP_RDONLY, &err)) == NULL)
		return 1;
	if (zip_get_num_entries(z, 0) != 1 || zip_stat_index(z, 0, 0, &st) == -1 ||
	    st.encryption_method != ZIP_EM_AES_256) {
		fprintf(stderr, "unzip_aes: not one AES-256 entry\n");
		goto done;
	}
	if ((f = zip_fopen_index_encrypted(z, 0, 0, argv[2])) == NULL) {
		fprintf(stderr, "unzip_aes: %s\n", zip_strerror(z));
		goto done;
	}
	while ((n = zip_fread(f, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	rc = n < 0 ? 1 : 0;
	zip_fclose(f);
done:
	zip_discard(z);
	return rc;
}
