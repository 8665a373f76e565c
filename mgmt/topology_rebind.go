package mgmt

import (
	"context"
	"errors"
	"fmt"
)

// Rebind: add the new binding, read it back, remove the old one.

// The steps of a rebind, as RebindError names them.
const (
	RebindAdd    = "add new binding"
	RebindVerify = "verify new binding"
	RebindRemove = "remove old binding"
)

// RebindResult is what a rebind did.
type RebindResult struct {
	New        Binding // as the broker lists it, with its properties key
	NewExisted bool    // it was there before, so step 1 added nothing
	Removed    Binding // the old binding, as it was listed when removed
}

// RebindError is a rebind that stopped at Step; InPlace says which of the
// two bindings exist now.
type RebindError struct {
	Step    string // RebindAdd, RebindVerify or RebindRemove
	Err     error
	InPlace string
}

func (e *RebindError) Error() string {
	return fmt.Sprintf("rebind failed at %s: %v; %s", e.Step, e.Err, e.InPlace)
}

func (e *RebindError) Unwrap() error { return e.Err }

// Rebind replaces the binding old by new in one safe step: (1) add new,
// (2) read it back from the API, (3) remove old. The old binding is removed
// only once step 2 has seen the new one, so any failure leaves it in place
// (*RebindError says what is in place). A new binding that is the old one
// is ErrNothingToChange.
//
// The new binding may exist already (step 1 then adds nothing). What must
// not happen is that step 3 removes it, leaving no binding at all: that
// would be the case if the old and the new were the same binding to the
// broker while they differ here. So step 3 finds the old binding afresh by
// its ends, routing key and arguments (not by a properties key the caller
// may hold from an older list), and refuses to remove the binding step 2
// verified.
func (c *Client) Rebind(ctx context.Context, vhost string, old, new Binding) (RebindResult, error) {
	if c.readOnly {
		return RebindResult{}, ErrReadOnly
	}
	res, err := c.rebind(ctx, vhost, old, new)
	if err != nil {
		return res, fmt.Errorf("rebind %s to %s%s: %w", old.describe(), new.describe(), inVHost(vhost), err)
	}
	return res, nil
}

func (c *Client) rebind(ctx context.Context, vhost string, old, new Binding) (RebindResult, error) {
	var res RebindResult
	if err := checkEnds(old); err != nil {
		return res, fmt.Errorf("old binding: %w", err)
	}
	if err := checkNewBinding(new); err != nil {
		return res, fmt.Errorf("new binding: %w", err)
	}
	if sameBinding(old, new) {
		return res, ErrNothingToChange
	}
	oldHere, newHere := "the old binding "+old.describe()+" is in place", "the new binding "+new.describe()
	existing, err := c.findBinding(ctx, vhost, new)
	if err != nil {
		return res, &RebindError{RebindAdd, err, oldHere + "; nothing was changed"}
	}
	res.NewExisted = existing != nil
	if !res.NewExisted {
		if err := c.bind(ctx, vhost, new); err != nil {
			return res, &RebindError{RebindAdd, err, oldHere + "; nothing was changed"}
		}
	}
	got, err := c.findBinding(ctx, vhost, new)
	switch {
	case err != nil:
		return res, &RebindError{RebindVerify, err, oldHere + "; " + newHere + " was added but could not be read back"}
	case got == nil:
		return res, &RebindError{RebindVerify, errors.New("the new binding is not listed after adding it"), oldHere + "; " + newHere + " is not"}
	}
	res.New = *got
	gone, err := c.findBinding(ctx, vhost, old)
	both := "both bindings are in place now: " + old.describe() + " and " + new.describe()
	switch {
	case err != nil && old.PropertiesKey != "":
		gone = &old // cannot list: the caller's key is the best left
	case err != nil:
		return res, &RebindError{RebindRemove, err, both}
	case gone == nil:
		return res, &RebindError{RebindRemove, ErrNoSuchBinding, newHere + " is in place; the old binding " + old.describe() + " was not found"}
	}
	if gone.Source == got.Source && gone.DestinationType == got.DestinationType && gone.Destination == got.Destination &&
		gone.PropertiesKey == got.PropertiesKey {
		return res, fmt.Errorf("%w: the broker holds the old and the new binding as one", ErrNothingToChange)
	}
	if err := c.deleteBinding(ctx, vhost, *gone); err != nil {
		if errors.Is(err, ErrNoSuchBinding) {
			return res, &RebindError{RebindRemove, err, newHere + " is in place; the old binding " + old.describe() + " was not found"}
		}
		return res, &RebindError{RebindRemove, err, both}
	}
	res.Removed = *gone
	return res, nil
}

// sameBinding: the same ends, routing key and arguments.
func sameBinding(a, b Binding) bool {
	return a.Source == b.Source && a.DestinationType == b.DestinationType && a.Destination == b.Destination &&
		a.RoutingKey == b.RoutingKey && sameArgs(a.Arguments, b.Arguments)
}
