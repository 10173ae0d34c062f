"""Customer lifetime value: transaction summaries and probabilistic models.

Models (maximum likelihood, scikit-learn style ``fit`` returning ``self``):

- :class:`BetaGeo` (BG/NBD), :class:`ModifiedBetaGeo` (MBG/NBD), :class:`ParetoNBD` for
  non-contractual purchases in continuous time;
- :class:`BetaGeoBetaBinom` (BG/BB) for discrete purchase opportunities;
- :class:`GammaGamma` for spend per transaction;
- :class:`ShiftedBetaGeo` (sBG) for contractual retention by cohort.

:func:`rfm_summary` and :func:`calibration_holdout` compute their inputs in the engine;
:func:`customer_lifetime_value` combines a purchase and a spend model.
"""

from loyalist.clv.betageo import BetaGeo, ModifiedBetaGeo
from loyalist.clv.bgbb import BetaGeoBetaBinom
from loyalist.clv.contractual import ShiftedBetaGeo
from loyalist.clv.gammagamma import GammaGamma
from loyalist.clv.pareto import ParetoNBD
from loyalist.clv.summary import calibration_holdout, rfm_summary
from loyalist.clv.value import customer_lifetime_value

__all__ = ["BetaGeo", "BetaGeoBetaBinom", "GammaGamma", "ModifiedBetaGeo", "ParetoNBD",
           "ShiftedBetaGeo", "calibration_holdout", "customer_lifetime_value", "rfm_summary"]
