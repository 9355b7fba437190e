"""Domain events, so features react to each other without importing each other.

Senders pass keyword arguments only: `city_id` and `category_id` (catalog category id).
"""

from blinker import Namespace

_signals = Namespace()

# A category's data was marked complete by the city ("Mark category complete").
category_completed = _signals.signal("category-completed")
# Values of a category changed (any save, import or verification edit).
category_data_changed = _signals.signal("category-data-changed")
# A category was reopened for editing after being complete.
category_reopened = _signals.signal("category-reopened")
