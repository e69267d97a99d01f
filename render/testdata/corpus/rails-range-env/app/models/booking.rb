class Booking < ApplicationRecord
  belongs_to :guest
  validates :starts_on, :ends_on, presence: true
end
