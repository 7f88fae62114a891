/*
 * A TCP server with state, for the established-connection test: it serves one client at a time and answers each
 * line it receives with the next number of one counter (1, 2, 3, ...), so a client that sees its numbers continue
 * after a migration talked to the same process, through the same connection.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int one = 1;
	long counter = 0;
	struct sockaddr_in address = { .sin_family = AF_INET };
	int listener = socket(AF_INET, SOCK_STREAM, 0);

	if (argc != 2)
		return 2;
	address.sin_port = htons(atoi(argv[1]));
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listener, (struct sockaddr *)&address, sizeof(address)) || listen(listener, 4))
		return 1;
	for (;;) {
		int client = accept(listener, NULL, NULL);
		char c;

		while (client >= 0 && read(client, &c, 1) == 1) {
			char reply[32];
			int length;

			if (c != '\n')
				continue;
			length = snprintf(reply, sizeof(reply), "%ld\n", ++counter);
			if (write(client, reply, length) != length)
				break;
		}
		close(client);
	}
}
