"""The integration method, written once, and the linear algebra it needs.

* :mod:`follicle.solvers.rodas4`: the RODAS4 step, its error control and the loop of steps,
  plain Python over arrays;
* :mod:`follicle.solvers.sparse_lu`: LU factors of a fixed sparsity, without pivoting;
* :mod:`follicle.solvers.compiled`: both compiled by numba, with each model's generated
  functions (:mod:`follicle.codegen.kernels`) passed in as first-class functions.

SciPy's methods (:func:`scipy.integrate.solve_ivp`) stay available in
:func:`follicle.simulate` by name, as references.
"""
