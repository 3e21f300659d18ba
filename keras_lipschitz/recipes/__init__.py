"""GAN recipes by name: the papers' systems as data, read by the command, the API, the benchmarks and the docs.

Example:

```python
from keras_lipschitz import recipes

recipe = recipes.get("sngan")
print(recipe.paper)
print(recipe.settings("grid25")["steps"])  # 12000: the 2-D mixture setting
```
"""

from keras_lipschitz.recipes.catalog import RECIPES
from keras_lipschitz.recipes.recipe import SETTINGS
from keras_lipschitz.recipes.recipe import Recipe
from keras_lipschitz.recipes.recipe import data_kind
from keras_lipschitz.recipes.recipe import get
from keras_lipschitz.recipes.recipe import names
from keras_lipschitz.recipes.recipe import table

__all__ = ["RECIPES", "SETTINGS", "Recipe", "data_kind", "get", "names", "table"]
