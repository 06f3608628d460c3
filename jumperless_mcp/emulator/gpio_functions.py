"""The firmware's GPIO and PWM functions, with its pin, level, direction and pull conventions per family.

A pin argument goes through map_pin_obj_to_physical_gpio (JOS mjc :2048, V5 mjc :1322): a node object
GPIO_n becomes the raw RP pin 20+n-1 (read with plain gpio_get, never FLOATING), UART_TX becomes pin 0
(which every jl_gpio_* ignores) and UART_RX pin 1 (= GPIO_1); anything else goes through mp_obj_get_int,
so 1-10 are the breadboard GPIOs (9, 10 = UART TX/RX) and 20-27 the raw pins of GPIO_1-8.
"""

from __future__ import annotations

from firmware_api.values import GPIODirection, GPIOPull, GPIOState
from firmware_api.versions import Family
from jumperless_mcp.emulator import strict
from jumperless_mcp.emulator.board import GpioPin
from jumperless_mcp.emulator.function_group import FunctionGroup
from jumperless_mcp.emulator.fwtypes import (
    GPIODirectionObject,
    GPIOPullObject,
    GPIOStateObject,
    NodeObject,
)

GPIO_PIN_ERROR = "GPIO pin must be 1-10, GPIO_1-GPIO_8, GPIO_20-GPIO_27, or UART_TX/UART_RX"
PWM_PIN_ERROR = "GPIO pin must be 1-8 or GPIO_1-GPIO_8"
_RAW_PINS = range(20, 28)  # RP GPIO 20-27 = GPIO_1-GPIO_8
_STATE_WORDS = {"HIGH": 1, "high": 1, "1": 1, "LOW": 0, "low": 0, "0": 0, "FLOATING": 2, "floating": 2, "Z": 2,
                "z": 2}  # fmt: skip  # get_gpio_state_value (JOS mjc :4203, V5 :2292)
_OUTPUT_WORDS = ("OUTPUT", "output", "OUT", "out")  # get_direction_value (JOS mjc :4124, V5 :2237)
_INPUT_WORDS = ("INPUT", "input", "IN", "in")
_JOS_PULL_WORDS = {"PULLUP": 1, "pullup": 1, "UP": 1, "up": 1, "PULLDOWN": -1, "pulldown": -1, "DOWN": -1,
                   "down": -1, "NO_PULL": 0, "no_pull": 0, "NOPULL": 0, "nopull": 0, "NONE": 0, "none": 0, "OFF": 0,
                   "off": 0, "BUS_KEEPER": 2, "bus_keeper": 2, "BUSKEEPER": 2, "buskeeper": 2}  # fmt: skip  # :4164
# 5.3.x get_pull_value (V5 mjc :2262): "PULLDOWN" gives 2, which jl_gpio_set_pull takes as the bus keeper.
_V5_PULL_WORDS = {"PULLUP": 1, "pullup": 1, "UP": 1, "up": 1, "PULLDOWN": 2, "pulldown": 2, "DOWN": 2, "down": 2,
                  "NONE": 0, "none": 0, "OFF": 0, "off": 0}  # fmt: skip


class GpioFunctions(FunctionGroup):
    """gpio_*, pwm_* on the board's ten GPIO pins (GPIO_1-8, UART TX, UART RX)."""

    # --- argument conversions of the C module ----------------------------------------------------------
    def _physical_pin(self, value: object) -> int:
        """map_pin_obj_to_physical_gpio(): the backend pin number, or -1."""
        if isinstance(value, NodeObject):
            node = value.value
            pin = 20 + node - 131 if 131 <= node <= 138 else 0 if node == 116 else 1 if node == 117 else -1
        else:
            pin = strict.get_int(value)
        return pin if 0 <= pin <= 10 or pin in _RAW_PINS else -1

    def _pin(self, pin: int) -> GpioPin | None:
        """The pin a backend number drives: 1-10 directly, 20-27 as GPIO_1-8; pin 0 is ignored by jl_gpio_*."""
        if 1 <= pin <= 10:
            return self.board.gpio[pin - 1]
        if pin in _RAW_PINS:
            return self.board.gpio[pin - 20]
        return None

    @staticmethod
    def _require(pin: int) -> None:
        if pin < 0:
            raise ValueError(GPIO_PIN_ERROR)

    @staticmethod
    def _level(value: object) -> int:
        """get_gpio_state_value(): the level to write (0 LOW, 1 HIGH, 2 FLOATING, or any other int)."""
        if isinstance(value, int) and not isinstance(value, bool):
            return strict.machine_word(value)
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, str):
            if value not in _STATE_WORDS:
                raise ValueError("GPIO state string must be 'HIGH', 'LOW', or 'FLOATING'")
            return _STATE_WORDS[value]
        if isinstance(value, GPIOStateObject):
            return value.value
        return 1 if strict.get_int(value) else 0

    def _direction(self, value: object) -> GPIODirection:
        """get_direction_value(): JumperlOS numbers 0 = OUTPUT, 1 = INPUT; 5.3.x 1 = OUTPUT, 0 = INPUT."""
        jos = self.family is Family.JUMPERLOS
        if isinstance(value, int) and not isinstance(value, bool):
            output = (strict.machine_word(value) == 0) if jos else (value != 0)
        elif isinstance(value, bool):
            output = value
        elif isinstance(value, str):
            if value not in _OUTPUT_WORDS + _INPUT_WORDS:
                raise ValueError("Direction string must be 'INPUT' or 'OUTPUT'")
            output = value in _OUTPUT_WORDS
        elif isinstance(value, GPIODirectionObject):
            output = value.name == "OUTPUT"
        else:
            number = strict.get_int(value)
            output = (number == 0) if jos else (number != 0)
        return GPIODirection.OUTPUT if output else GPIODirection.INPUT

    def _pull(self, value: object) -> GPIOPull:
        """get_pull_value() then jl_gpio_set_pull(): -1 down, 0 none, 1 up, 2 bus keeper, anything else none."""
        if isinstance(value, int) and not isinstance(value, bool):
            number = strict.machine_word(value)
        elif isinstance(value, bool):
            number = int(value)
        elif isinstance(value, str):
            words = _JOS_PULL_WORDS if self.family is Family.JUMPERLOS else _V5_PULL_WORDS
            if value not in words:
                if self.family is Family.JUMPERLOS:
                    raise ValueError("Pull string must be 'NO_PULL', 'PULLUP', 'PULLDOWN', or 'BUS_KEEPER'")
                raise ValueError("Pull string must be 'NONE', 'PULLUP', or 'PULLDOWN'")
            number = words[value]
        elif isinstance(value, GPIOPullObject) and self.family is Family.JUMPERLOS:
            number = value.value
        else:
            number = strict.get_int(value)  # 5.3.x has no GPIOPull branch: int(pull) through INT_MAYBE
        return GPIOPull(number) if number in (-1, 0, 1, 2) else GPIOPull.NONE

    # --- GPIO --------------------------------------------------------------------------------------------
    def gpio_set(self, pin: object, value: object) -> None:
        number, level = self._physical_pin(pin), self._level(value)
        self._require(number)
        target = self._pin(number)
        if target is not None:
            with self.board.lock:
                target.latch = level != 0  # digitalWrite(pin, level): any non-zero level, FLOATING too, is HIGH
                self.board.time.sync()  # the level changes at this moment

    def gpio_get(self, pin: object) -> GPIOStateObject:
        number = self._physical_pin(pin)
        self._require(number)
        if not 1 <= number <= 10 and number not in _RAW_PINS:
            return GPIOStateObject.of(GPIOState.LOW, family=self.family)  # jl_gpio_get returns 0 for pin 0
        index = number - 1 if number <= 10 else number - 20
        with self.board.lock:
            state = self.board.gpio_read(index + 1)
        if state is GPIOState.FLOATING and number in _RAW_PINS:
            state = GPIOState.LOW  # raw RP pins use plain gpio_get(): 0/1, never FLOATING
        return GPIOStateObject.of(state, family=self.family)

    def gpio_set_dir(self, pin: object, direction: object) -> None:
        number, wanted = self._physical_pin(pin), self._direction(direction)
        self._require(number)
        target = self._pin(number)
        if target is not None:
            with self.board.lock:
                target.direction = wanted
                self.board.time.sync()

    def gpio_get_dir(self, pin: object) -> GPIODirectionObject:
        number = self._physical_pin(pin)
        self._require(number)
        target = self._pin(number)
        if target is None:  # jl_gpio_get_dir returns 0: OUTPUT to JumperlOS (0 = output), INPUT to 5.3.x
            return GPIODirectionObject.of(
                GPIODirection.OUTPUT if self.family is Family.JUMPERLOS else GPIODirection.INPUT, family=self.family
            )
        return GPIODirectionObject.of(target.direction, family=self.family)

    def gpio_set_pull(self, pin: object, pull: object) -> None:
        number, wanted = self._physical_pin(pin), self._pull(pull)
        self._require(number)
        target = self._pin(number)
        if target is not None:
            with self.board.lock:
                target.pull = wanted
                self.board.time.sync()

    def gpio_get_pull(self, pin: object) -> GPIOPullObject:
        number = self._physical_pin(pin)
        self._require(number)
        target = self._pin(number)
        return GPIOPullObject.of(target.pull if target else GPIOPull.NONE, self.family)

    def gpio_set_read_floating(self, pin: object, enabled: bool) -> None:
        number = self._physical_pin(pin)
        self._require(number)
        target = self._pin(number)
        if target is not None:
            target.read_floating = enabled if 1 <= number <= 10 else False  # JOS API :631 clears it for 20-27

    def gpio_get_read_floating(self, pin: object) -> bool:
        number = self._physical_pin(pin)
        self._require(number)
        target = self._pin(number)
        return bool(target and target.read_floating)

    def gpio_claim_pin(self, pin: object) -> None:
        number = self._physical_pin(pin)
        self._require(number)
        target = self._pin(number)
        if target is None:
            self.ctx.main_port(f"\n*** [MicroPython] WARNING: Pin {number} not found in gpioDef ***\n")
        else:
            target.claimed = True

    def gpio_release_pin(self, pin: object) -> None:
        number = self._physical_pin(pin)
        self._require(number)
        target = self._pin(number)
        if target is not None:
            target.claimed = False

    def gpio_release_all_pins(self) -> None:
        for pin in self.board.gpio:
            pin.claimed = False

    # --- PWM (JOS mjc :2222-2330, V5 :1440-1550) ---------------------------------------------------------
    @staticmethod
    def _pwm_pin(number: int) -> int:
        if 131 <= number <= 138:
            number -= 130  # GPIO_n node ids
        if not 1 <= number <= 8:
            raise ValueError(PWM_PIN_ERROR)
        return number

    @staticmethod
    def _check_frequency(frequency: float) -> None:
        if frequency < 0.0009 or frequency > 62_500_000.0:
            raise ValueError("PWM frequency must be 0.001Hz to 62.5MHz")

    @staticmethod
    def _check_duty(duty: float) -> None:
        if not 0.0 <= duty <= 1.0:
            raise ValueError("PWM duty cycle must be 0.0 to 1.0")

    def pwm(self, pin: int, frequency: float = 1.0, duty: float = 0.5) -> None:
        number = self._pwm_pin(pin)
        self._check_frequency(frequency)
        self._check_duty(duty)
        with self.board.lock:
            gpio = self.board.gpio[number - 1]
            gpio.direction, gpio.pwm_frequency, gpio.pwm_duty = GPIODirection.OUTPUT, frequency, duty
            gpio.pwm_origin = self.board.now()  # the period starts now, high first
            self.board.time.sync(gpio.pwm_origin)

    # PWM switches at its frequency and duty on the time axis (time_model.py). The ranges are the C checks:
    # 0.001 Hz (accepting from 0.0009) to 62.5 MHz, duty 0.0-1.0 (JOS mjc :2222-2330, V5 :1440-1550).

    def pwm_set_duty_cycle(self, pin: int, duty: float) -> None:
        number = self._pwm_pin(pin)
        self._check_duty(duty)
        with self.board.lock:
            self.board.gpio[number - 1].pwm_duty = duty  # the counter runs on: the phase is kept
            self.board.time.sync()

    def pwm_set_frequency(self, pin: int, frequency: float) -> None:
        number = self._pwm_pin(pin)
        self._check_frequency(frequency)
        with self.board.lock:
            gpio, now = self.board.gpio[number - 1], self.board.now()
            if gpio.pwm_frequency:  # keep the phase reached so far: the new period continues from it
                phase = ((now - gpio.pwm_origin) * gpio.pwm_frequency) % 1.0
                gpio.pwm_origin = now - phase / frequency
            gpio.pwm_frequency = frequency
            self.board.time.sync(now)

    def pwm_stop(self, pin: int) -> None:
        number = self._pwm_pin(pin)
        with self.board.lock:
            self.board.gpio[number - 1].pwm_frequency = None
            self.board.time.sync()
