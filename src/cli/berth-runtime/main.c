/* berth-runtime: the OCI runtime CLI (placeholder until the verbs land). */
#include <stdio.h>

int main(void)
{
        puts("berth-runtime " BERTH_VERSION);
        return 0;
}
