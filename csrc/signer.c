/* signer.c - Django's signed-value format (in progress). */
#include "sesstok.h"

int
sesstok_signer_exec(PyObject *m)
{
    return 0;
}
